package io.fhirlink.lifecycle;

import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.FhirLink;
import io.fhirlink.auth.UpstreamTokens;
import io.fhirlink.ops.CredentialExpiry;
import io.fhirlink.ops.LinkStatusWriter;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import io.fhirlink.support.LogCapture;
import io.fhirlink.support.MovableClock;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Link health end to end: a link's status follows what really happens to its credentials and role in Azure
 * AD (stand-in), is stored once per change (never per call) and reads the same on a second replica; the secret's
 * end date shows in the view and the metrics and is warned about once a day; a re-probe answers as registration does.
 * The gateway's clock is movable: days (and the re-probe interval) pass without waiting.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LinkHealthTest {

    private static final String COLLECTION = "/FhirServers/aadfhirrecord";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MovableClock CLOCK = new MovableClock();
    private static final LogCapture LOGS = new LogCapture();

    private static final String KEY = Replicas.newSecretKey();

    @RegisterExtension
    static final GatewayHarness a = GatewayHarness.forClass(Map.of("FHIRLINK_SECRET_KEY", KEY, "FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS", "15000"), CLOCK);
    private static FhirLink b;

    @BeforeAll
    static void startTwoReplicas() throws Exception {
        // the FHIR stand-in's first search takes seconds while HAPI warms up: the first probe must not time out
        a.fhir.seedPatients(1, "Health");
        b = Replicas.startReplica(a, KEY);
        LOGS.attach();
    }

    @AfterAll
    static void stop() throws Exception {
        LOGS.detach();
        if (b != null) {
            b.close();
        }
    }

    @Test
    @Order(1)
    void secretChangedInAzureAd_isCredentialsRejectedAfterOneFailedCall_onBothReplicas_andOkAfterPut() throws Exception {
        String clientId = "11111111-aaaa-4bbb-8ccc-000000000001";
        a.aad.registerApp(TENANT, clientId, "old~secret.1", true);
        register("health-secret", clientId, "old~secret.1", null);
        assertThat(status("health-secret").path("state").asText()).isEqualTo("not-yet-used");
        assertThat(proxiedRead("health-secret")).isEqualTo(200);
        eventually(() -> "ok".equals(status("health-secret").path("state").asText()));

        a.aad.registerApp(TENANT, clientId, "new~secret.2", true); // the old secret is gone in Azure AD
        tokenExpires();
        assertThat(proxiedRead("health-secret")).isEqualTo(502); // the one failed call

        eventually(() -> "credentials-rejected".equals(status("health-secret").path("state").asText()));
        JsonNode rejected = status("health-secret");
        assertThat(rejected.path("lastFailure").path("cause").asText()).isEqualTo("AADSTS7000215");
        assertThat(rejected.path("lastFailure").path("advice").asText()).contains("client secret");
        assertThat(rejected.path("lastSuccessAt").isTextual()).isTrue();
        assertThat(statusOn(b, "health-secret")).isEqualTo(rejected);

        HttpResponse<String> put = a.send("PUT", COLLECTION + "/health-secret", a.token(TENANT),
                LinkBody.writerOf(a.fhir.baseUrl()).client(clientId, "new~secret.2").description("rotated").json());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(JSON.readTree(put.body()).path("status").path("state").asText()).isEqualTo("ok");
        assertThat(statusOn(b, "health-secret").path("state").asText()).isEqualTo("ok");
        assertThat(proxiedRead("health-secret")).isEqualTo(200);
    }

    @Test
    @Order(2)
    void roleRemoved_isForbidden_reprobeIs400UntilTheRoleIsGrantedThen200_andRateLimited() throws Exception {
        String clientId = "11111111-aaaa-4bbb-8ccc-000000000002";
        a.aad.registerApp(TENANT, clientId, "role~secret.1", true);
        register("health-role", clientId, "role~secret.1", null);
        assertThat(proxiedRead("health-role")).isEqualTo(200);

        a.aad.registerApp(TENANT, clientId, "role~secret.1", false); // FHIR Data Writer role removed
        tokenExpires();
        assertThat(proxiedRead("health-role")).isEqualTo(403);
        eventually(() -> "forbidden".equals(status("health-role").path("state").asText()));
        assertThat(status("health-role").path("lastFailure").path("cause").asText()).isEqualTo("http-403");

        HttpResponse<String> before = probe("health-role", TENANT);
        assertThat(before.statusCode()).as(before.body()).isEqualTo(400);
        assertThat(JSON.readTree(before.body()).path("detail").asText()).contains("FHIR Data Writer", "30 minutes");
        assertThat(statusOn(b, "health-role").path("state").asText()).isEqualTo("forbidden");

        a.aad.registerApp(TENANT, clientId, "role~secret.1", true); // role granted again
        HttpResponse<String> tooSoon = probe("health-role", TENANT);
        assertThat(tooSoon.statusCode()).isEqualTo(429);
        assertThat(tooSoon.headers().firstValue("Retry-After")).isPresent();

        CLOCK.advance(Duration.ofSeconds(11));
        HttpResponse<String> after = probe("health-role", TENANT);
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        JsonNode passed = JSON.readTree(after.body());
        assertThat(passed.path("probe").path("result").asText()).isEqualTo("passed");
        assertThat(passed.path("status").path("state").asText()).isEqualTo("ok");
        assertThat(statusOn(b, "health-role").path("state").asText()).isEqualTo("ok");
        assertThat(view("health-role").path("version").asLong()).isEqualTo(1); // nothing else changed
    }

    @Test
    @Order(3)
    void reprobe_ofAnotherOrganizationsLinkOrAnUnknownName_is404() throws Exception {
        register("health-owned", "11111111-aaaa-4bbb-8ccc-000000000003", "owned~secret", null);

        assertThat(probe("health-owned", OTHER_TENANT).statusCode()).isEqualTo(404);
        assertThat(probe("health-nobody", TENANT).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(4)
    void warmPath_inStateOk_makesNoDatabaseWrite() throws Exception {
        register("health-warm", "11111111-aaaa-4bbb-8ccc-000000000004", "warm~secret", null);
        assertThat(proxiedRead("health-warm")).isEqualTo(200);
        LinkStatusWriter writer = a.gateway().bean("linkStatusWriter", LinkStatusWriter.class);
        // the call completes (and reports its outcome) just after its answer is written: wait for its one write
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        do {
            writer.flush();
        } while (!statusRowExists("health-warm") && System.nanoTime() < deadline);
        long writesBefore = writer.writes();
        String rowVersionBefore = statusRowVersion("health-warm");

        for (int i = 0; i < 200; i++) {
            assertThat(proxiedRead("health-warm")).isEqualTo(200);
        }
        writer.flush();

        assertThat(writer.writes()).isEqualTo(writesBefore);
        assertThat(statusRowVersion("health-warm")).isEqualTo(rowVersionBefore);
    }

    @Test
    @Order(5)
    void linkStateAndUp_areInPrometheusAndOnTheLinkTrafficMBean() throws Exception {
        String metrics = metrics();
        assertThat(metric(metrics, "fhirlink_link_up{link=\"health-warm\"}")).isEqualTo(1.0);
        assertThat(metric(metrics, "fhirlink_link_state{link=\"health-warm\",state=\"ok\"}")).isEqualTo(1.0);
        assertThat(metric(metrics, "fhirlink_link_state{link=\"health-warm\",state=\"forbidden\"}")).isEqualTo(0.0);

        ObjectName traffic = new ObjectName("io.fhirlink:port=" + a.gateway().settings().httpPort()
                + ",type=LinkTraffic,name=\"health-warm\"");
        assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(traffic, "State")).isEqualTo("ok");
        assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(traffic, "Up")).isEqualTo(1);
    }

    @Test
    @Order(6)
    void secretExpiringInTenDays_showsInViewAndMetrics_andIsWarnedOnceADay() throws Exception {
        String clientId = "11111111-aaaa-4bbb-8ccc-000000000006";
        LocalDate today = LocalDate.now(CLOCK.withZone(ZoneOffset.UTC));
        register("health-expiry", clientId, "expiry~secret", today.plusDays(10));

        JsonNode link = view("health-expiry");
        assertThat(link.path("clientSecretExpiresOn").asText()).isEqualTo(today.plusDays(10).toString());
        assertThat(link.path("daysLeft").asInt()).isEqualTo(10);

        CredentialExpiry check = a.gateway().bean("credentialExpiry", CredentialExpiry.class);
        check.check();
        check.check();
        double seconds = metric(metrics(), "fhirlink_link_credential_expiry_seconds{link=\"health-expiry\"}");
        assertThat(seconds).isBetween(9 * 86_400.0, 10 * 86_400.0);
        assertThat(expiryWarnings()).isEqualTo(1);

        CLOCK.advance(Duration.ofDays(1));
        check.check();
        check.check();
        assertThat(expiryWarnings()).isEqualTo(2);
        assertThat(view("health-expiry").path("daysLeft").asInt()).isEqualTo(9);
    }

    @Test
    @Order(7)
    void secretExpiryInThePast_is400WithAFieldError() throws Exception {
        LocalDate yesterday = LocalDate.now(CLOCK.withZone(ZoneOffset.UTC)).minusDays(1);
        HttpResponse<String> refused = a.send("POST", COLLECTION, a.token(TENANT),
                registration("health-past", "11111111-aaaa-4bbb-8ccc-000000000007", "past~secret", yesterday));

        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(refused.body()).path("errors").get(0).path("field").asText())
                .isEqualTo("clientSecretExpiresOn");
    }

    // ---------------------------------------------------------------- helpers

    /** Registers the application (with the FHIR Data Writer role) in Azure AD, then links it. */
    private static void register(String name, String clientId, String secret, LocalDate expiresOn) throws Exception {
        a.aad.registerApp(TENANT, clientId, secret, true);
        HttpResponse<String> created = a.send("POST", COLLECTION, a.token(TENANT),
                registration(name, clientId, secret, expiresOn));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    private static String registration(String name, String clientId, String secret, LocalDate expiresOn) {
        return LinkBody.registration(name, a.fhir.baseUrl()).client(clientId, secret).secretExpiresOn(expiresOn).json();
    }

    /** The gateway's cached Azure token for the link runs out, as it does within the hour. */
    private static void tokenExpires() {
        a.gateway().bean("upstreamTokens", UpstreamTokens.class).forgetAll();
    }

    private static int proxiedRead(String name) throws Exception {
        return a.send("GET", "/" + name + "/Patient?_count=1", a.token(TENANT), null).statusCode();
    }

    private static HttpResponse<String> probe(String name, String organization) throws Exception {
        return a.send("POST", COLLECTION + "/" + name + "/probe", a.token(organization), null);
    }

    private static JsonNode view(String name) throws Exception {
        HttpResponse<String> link = a.send("GET", COLLECTION + "/" + name, a.token(TENANT), null);
        assertThat(link.statusCode()).as(link.body()).isEqualTo(200);
        return JSON.readTree(link.body());
    }

    private static JsonNode status(String name) throws Exception {
        return view(name).path("status");
    }

    private static JsonNode statusOn(FhirLink replica, String name) throws Exception {
        HttpResponse<String> link = Replicas.send(replica, "GET", COLLECTION + "/" + name, a.token(TENANT), null);
        assertThat(link.statusCode()).as(link.body()).isEqualTo(200);
        return JSON.readTree(link.body()).path("status");
    }

    private static boolean statusRowExists(String name) throws Exception {
        try (Connection db = Replicas.connect(a);
             PreparedStatement select = db.prepareStatement("select 1 from fhir_link_status where display_name = ?")) {
            select.setString(1, name);
            try (ResultSet row = select.executeQuery()) {
                return row.next();
            }
        }
    }

    /** The row's xmin: PostgreSQL gives every update of a row a new one. */
    private static String statusRowVersion(String name) throws Exception {
        try (Connection db = Replicas.connect(a);
             PreparedStatement select = db.prepareStatement("select xmin::text from fhir_link_status where display_name = ?")) {
            select.setString(1, name);
            try (ResultSet row = select.executeQuery()) {
                assertThat(row.next()).as("status row of %s", name).isTrue();
                return row.getString(1);
            }
        }
    }

    private static String metrics() throws Exception {
        return a.http().send(HttpRequest.newBuilder(URI.create(a.managementUrl() + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double metric(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertThat(m.find()).as("%s in %n%s", series, metrics.lines().filter(l -> l.startsWith("fhirlink_link")).toList())
                .isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static long expiryWarnings() {
        return LOGS.lines().stream().filter(l -> l.contains("link 'health-expiry': its client secret expires")).count();
    }

    /** Waits up to five seconds for a status written off the proxy's path. */
    private static void eventually(Callable<Boolean> condition) {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(condition);
    }
}
