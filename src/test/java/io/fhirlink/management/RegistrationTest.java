package io.fhirlink.management;

import static io.fhirlink.support.GatewayHarness.CLIENT_ID;
import static io.fhirlink.support.GatewayHarness.CLIENT_SECRET;
import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.READER_CLIENT_ID;
import static io.fhirlink.support.GatewayHarness.READER_SECRET;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.TestCertificates;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * POST/GET/DELETE /FhirServers/aadfhirrecord end to end: a real gateway on its embedded PostgreSQL between the
 * Azure AD and Azure FHIR stand-ins, over HTTP.
 */
class RegistrationTest {

    private static final String COLLECTION = "/FhirServers/aadfhirrecord";
    /** An application registered in another tenant: Azure AD issues it tokens the FHIR server's tenant refuses. */
    private static final String FOREIGN_CLIENT_ID = "8d3e5a4c-7f6b-4c9d-9eaf-2a3b4c5d6e7f";
    private static final String FOREIGN_SECRET = "foreign~tenant~secret";
    /** An application whose only secret has passed its end date. */
    private static final String EXPIRED_CLIENT_ID = "9e4f6b5d-8a7c-4dae-afb0-3b4c5d6e7f80";
    private static final String EXPIRED_SECRET = "expired~secret~value";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayHarness h = GatewayHarness.forClass();

    @BeforeAll
    static void start() throws Exception {
        h.aad.registerApp(OTHER_TENANT, FOREIGN_CLIENT_ID, FOREIGN_SECRET, true);
        h.aad.registerApp(TENANT, EXPIRED_CLIENT_ID, EXPIRED_SECRET, true);
        h.aad.expireSecret(EXPIRED_CLIENT_ID);
    }

    // ---------------------------------------------------------------- success

    @Test
    void register_answers201WithLocationOfTheNewLink() throws Exception {
        HttpResponse<String> response = h.register("created-location");

        assertThat(response.headers().firstValue("Location"))
                .as("status %d, body %s", response.statusCode(), response.body())
                .hasValue(h.baseUrl() + COLLECTION + "/created-location");
    }

    @Test
    void register_answersTheLinksFhirBaseUrlOnTheGateway() throws Exception {
        HttpResponse<String> response = h.register("created-base-url");

        assertThat(json(response).path("fhirBaseUrl").asText())
                .as("status %d, body %s", response.statusCode(), response.body())
                .isEqualTo(h.baseUrl() + "/created-base-url");
    }

    @Test
    void register_neverAnswersTheClientSecret() throws Exception {
        HttpResponse<String> response = h.register("created-no-secret");

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.body()).doesNotContain(CLIENT_SECRET).doesNotContain("\"clientSecret\"");
    }

    @Test
    void register_persistsTheLinkInPostgres() throws Exception {
        h.register("created-row");

        Map<String, String> row = row("created-row");
        assertThat(row).containsEntry("organization_id", TENANT)
                .containsEntry("client_id", CLIENT_ID)
                .containsEntry("fhir_server_endpoint", h.fhir.baseUrl());
    }

    @Test
    void register_storesTheClientSecretEncrypted() throws Exception {
        h.register("created-sealed");

        String stored = row("created-sealed").get("client_secret");
        assertThat(stored).isNotBlank().doesNotContain(CLIENT_SECRET);
    }

    @Test
    void register_stripsTrailingSlashFromEndpointBeforeStoring() throws Exception {
        post(body("strip-slash", h.fhir.baseUrl() + "/"));

        assertThat(row("strip-slash")).containsEntry("fhir_server_endpoint", h.fhir.baseUrl());
    }

    @Test
    void register_stripsMetadataFromEndpointBeforeStoring() throws Exception {
        post(body("strip-metadata", h.fhir.baseUrl() + "/metadata"));

        assertThat(row("strip-metadata")).containsEntry("fhir_server_endpoint", h.fhir.baseUrl());
    }

    @Test
    void register_asksAzureAdForTheStrippedEndpointsScope() throws Exception {
        h.aad.resetCounters();
        post(body("scope-of-stripped", h.fhir.baseUrl() + "/metadata/"));

        assertThat(h.aad.tokenRequestForms()).extracting(f -> f.get("scope")).asString().contains(h.fhir.scope())
                .doesNotContain("metadata");
    }

    // ---------------------------------------------------------------- tenant resolution

    @Test
    void register_withoutTenantId_usesTheTenantTheServerAdvertises() throws Exception {
        // The caller's organization is another tenant: only the advertised token URL leads to the app's tenant.
        HttpResponse<String> response = h.send("POST", COLLECTION, h.token(OTHER_TENANT), h.registration("tenant-advertised"));

        assertThat(row("tenant-advertised"))
                .as("status %d, body %s", response.statusCode(), response.body())
                .containsEntry("tenant_id", TENANT);
    }

    @Test
    void register_withTenantIdAndNoAdvertisedTenant_asksThatTenantNotTheCallers() throws Exception {
        // A tenantId other than an advertised one is refused (hardening/ForeignTenantLinkTest); where the server
        // advertises none, the body's tenant is the one Azure AD is asked in, not the caller's.
        try (QuietFhirServer quiet = QuietFhirServer.start()) {
            HttpResponse<String> response = post(body("tenant-from-body", quiet.baseUrl(), FOREIGN_CLIENT_ID, FOREIGN_SECRET, OTHER_TENANT));

            assertThat(row("tenant-from-body"))
                    .as("status %d, body %s", response.statusCode(), response.body())
                    .containsEntry("tenant_id", OTHER_TENANT);
        }
    }

    @Test
    void register_withoutTenantIdOrAdvertisedTenant_usesTheCallersTenant() throws Exception {
        try (QuietFhirServer quiet = QuietFhirServer.start()) {
            Map<String, Object> body = fields("tenant-of-caller", quiet.baseUrl(), FOREIGN_CLIENT_ID, FOREIGN_SECRET, null);

            HttpResponse<String> response = h.send("POST", COLLECTION, h.token(OTHER_TENANT), JSON.writeValueAsString(body));

            assertThat(row("tenant-of-caller"))
                    .as("status %d, body %s", response.statusCode(), response.body())
                    .containsEntry("tenant_id", OTHER_TENANT);
        }
    }

    // ---------------------------------------------------------------- validation

    @Test
    void register_rejectsBodyThatIsNotJson() throws Exception {
        HttpResponse<String> response = post("{\"fhirDatabaseDisplayName\": \"not-json\",");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(detail(response)).contains("not valid JSON");
    }

    @Test
    void register_rejectsUnknownFieldNamingIt() throws Exception {
        String typo = h.registration("unknown-field").replace("\"clientId\"", "\"clientID\"");

        HttpResponse<String> response = post(typo);

        assertThat(errors(response)).containsKey("clientID");
        assertThat(errors(response).get("clientID")).contains("did you mean 'clientId'");
    }

    @Test
    void register_answersProblemJsonWithTypeTitleStatusDetailAndErrors() throws Exception {
        HttpResponse<String> response = post(body("ab", h.fhir.baseUrl()));

        JsonNode problem = json(response);
        assertThat(problem.path("type").isTextual()).isTrue();
        assertThat(problem.path("title").asText()).isNotBlank();
        assertThat(problem.path("status").asInt()).isEqualTo(400);
        assertThat(problem.path("detail").asText()).isNotBlank();
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("fhirDatabaseDisplayName");
        assertThat(problem.path("errors").get(0).path("message").asText()).isNotBlank();
    }

    @Test
    void register_answersProblemsAsApplicationProblemJson() throws Exception {
        HttpResponse<String> response = post(body("ab", h.fhir.baseUrl()));

        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
    }

    @Test
    void register_answers413ForBodyOver64KiB() throws Exception {
        Map<String, Object> body = fields("too-large", h.fhir.baseUrl(), CLIENT_ID, CLIENT_SECRET, null);
        body.put("description", "x".repeat(65 * 1024));

        HttpResponse<String> response = post(JSON.writeValueAsString(body));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(detail(response)).contains("65536 bytes"); // the 64 KiB limit, as the body reader words it
    }

    // ---------------------------------------------------------------- probe failures

    @Test
    void register_rejectsUnreachableHostNamingIt() throws Exception {
        String closed = "https://127.0.0.1:" + closedPort();

        HttpResponse<String> response = post(body("probe-unreachable", closed));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(detail(response)).contains(closed).containsIgnoringCase("reach");
    }

    @Test
    void register_rejectsServerThatIsNotFhir() throws Exception {
        // The Azure AD stand-in answers HTTPS, but its /metadata is a JSON 404, not a CapabilityStatement.
        HttpResponse<String> response = post(body("probe-not-fhir", h.aad.authorityHost()));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(detail(response)).contains("CapabilityStatement");
    }

    @Test
    void register_rejectsWrongSecretQuotingAadsts7000215() throws Exception {
        HttpResponse<String> response = post(body("probe-wrong-secret", h.fhir.baseUrl(), CLIENT_ID, "wrong-secret", null));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(detail(response)).contains("AADSTS7000215");
    }

    @Test
    void register_rejectsUnknownClientQuotingAadsts700016() throws Exception {
        String unknown = "00000000-1111-4222-8333-444444444444";

        HttpResponse<String> response = post(body("probe-unknown-app", h.fhir.baseUrl(), unknown, CLIENT_SECRET, null));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(detail(response)).contains("AADSTS700016");
    }

    @Test
    void register_rejectsUnknownTenantQuotingAadsts90002() throws Exception {
        String unknownTenant = "11111111-2222-4333-8444-555555555555";

        // a server advertising no tenant: against an advertised one, the mismatch would be refused before Azure AD
        try (QuietFhirServer quiet = QuietFhirServer.start()) {
            HttpResponse<String> response = post(body("probe-unknown-tenant", quiet.baseUrl(), CLIENT_ID, CLIENT_SECRET, unknownTenant));

            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(detail(response)).contains("AADSTS90002");
        }
    }

    @Test
    void register_rejectsExpiredSecretQuotingAadsts7000222() throws Exception {
        HttpResponse<String> response = post(body("probe-expired", h.fhir.baseUrl(), EXPIRED_CLIENT_ID, EXPIRED_SECRET, null));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(detail(response)).contains("AADSTS7000222");
    }

    @Test
    void register_rejectsAppWithoutWriterRoleNamingTheRoleAndTheDelay() throws Exception {
        HttpResponse<String> response = post(body("probe-reader", h.fhir.baseUrl(), READER_CLIENT_ID, READER_SECRET, null));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(detail(response)).contains("FHIR Data Writer").contains("30 minutes");
    }

    @Test
    void register_rejectsTokenTheFhirServerRefusesPointingAtAudience() throws Exception {
        // Issued by Azure AD, but the FHIR server answers 401 (as for a wrong audience or an untrusted tenant).
        h.fhir.rejectNextTokens(1);
        HttpResponse<String> response = post(body("probe-refused-token", h.fhir.baseUrl(), CLIENT_ID, CLIENT_SECRET, null));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(detail(response)).contains("401").contains("Audience");
    }

    @Test
    void register_answers400WithinBoundWhenServerHangs() throws Exception {
        h.fhir.setResponseDelay(Duration.ofSeconds(10)); // the harness sets FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS=3000
        long started = System.nanoTime();
        HttpResponse<String> response;
        try {
            response = h.register("probe-hung");
        } finally {
            h.fhir.setResponseDelay(Duration.ZERO);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(detail(response)).contains("did not answer in time");
        assertThat(took).isLessThan(Duration.ofSeconds(8));
    }

    @Test
    void register_savesNothingWhenTheProbeFails() throws Exception {
        post(body("probe-nothing-saved", h.fhir.baseUrl(), CLIENT_ID, "wrong-secret", null));

        assertThat(rowCount("probe-nothing-saved")).isZero();
    }

    // ---------------------------------------------------------------- names

    @Test
    void register_answers409ForNameAlreadyTaken() throws Exception {
        h.register("taken-name");

        HttpResponse<String> again = h.register("taken-name");

        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(detail(again)).contains("taken-name");
    }

    @Test
    void register_answers409ForNameTakenByAnotherOrganization() throws Exception {
        h.register("taken-across-orgs");

        HttpResponse<String> again = h.send("POST", COLLECTION, h.token(OTHER_TENANT), h.registration("taken-across-orgs"));

        assertThat(again.statusCode()).isEqualTo(409);
    }

    @Test
    void register_concurrentRegistrationsOfOneName_yieldExactlyOne201() throws Exception {
        int racers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> results = new ArrayList<>();
        try {
            for (int i = 0; i < racers; i++) {
                Callable<HttpResponse<String>> racer = () -> {
                    go.await();
                    return h.register("raced-name");
                };
                results.add(pool.submit(racer));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<HttpResponse<String>> result : results) {
                statuses.add(result.get().statusCode());
            }

            assertThat(statuses).containsOnly(201, 409).containsOnlyOnce(201);
            assertThat(rowCount("raced-name")).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- list, read, delete

    @Test
    void list_neverShowsClientSecrets() throws Exception {
        h.register("listed-no-secret");

        HttpResponse<String> list = h.send("GET", COLLECTION, h.token(TENANT), null);

        assertThat(list.body()).contains("listed-no-secret").doesNotContain(CLIENT_SECRET).doesNotContain("\"clientSecret\"");
    }

    @Test
    void get_showsOwnLink() throws Exception {
        h.register("shown-own");

        HttpResponse<String> one = h.send("GET", COLLECTION + "/shown-own", h.token(TENANT), null);

        assertThat(json(one).path("fhirServerEndpoint").asText()).isEqualTo(h.fhir.baseUrl());
    }

    @Test
    void delete_answers204ThenTheLinkIsGone() throws Exception {
        h.register("deleted-link");

        HttpResponse<String> deleted = h.send("DELETE", COLLECTION + "/deleted-link", h.token(TENANT), null);
        HttpResponse<String> after = h.send("GET", COLLECTION + "/deleted-link", h.token(TENANT), null);

        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(after.statusCode()).isEqualTo(404);
    }

    // ---------------------------------------------------------------- helpers

    private static HttpResponse<String> post(String body) throws Exception {
        return h.send("POST", COLLECTION, h.token(TENANT), body);
    }

    private static String body(String name, String endpoint) throws Exception {
        return body(name, endpoint, CLIENT_ID, CLIENT_SECRET, null);
    }

    private static String body(String name, String endpoint, String clientId, String secret, String tenantId) throws Exception {
        return JSON.writeValueAsString(fields(name, endpoint, clientId, secret, tenantId));
    }

    private static Map<String, Object> fields(String name, String endpoint, String clientId, String secret, String tenantId) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("fhirDatabaseDisplayName", name);
        body.put("fhirServerEndpoint", endpoint);
        body.put("clientId", clientId);
        body.put("clientSecret", secret);
        if (tenantId != null) {
            body.put("tenantId", tenantId);
        }
        return body;
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    private static String detail(HttpResponse<String> response) throws Exception {
        return json(response).path("detail").asText();
    }

    /** errors[] as field → message (the first message per field). */
    private static Map<String, String> errors(HttpResponse<String> response) throws Exception {
        Map<String, String> errors = new LinkedHashMap<>();
        for (JsonNode error : json(response).path("errors")) {
            errors.putIfAbsent(error.path("field").asText(), error.path("message").asText());
        }
        return errors;
    }

    private static Map<String, String> row(String name) throws Exception {
        try (Connection c = h.gateway().database().dataSource().getConnection();
                PreparedStatement s = c.prepareStatement("select * from fhir_link where display_name = ?")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                Map<String, String> row = new LinkedHashMap<>();
                if (rs.next()) {
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.put(rs.getMetaData().getColumnName(i), rs.getString(i));
                    }
                }
                return row;
            }
        }
    }

    private static int rowCount(String name) throws Exception {
        try (Connection c = h.gateway().database().dataSource().getConnection();
                PreparedStatement s = c.prepareStatement("select count(*) from fhir_link where display_name = ?")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * A FHIR server over HTTPS that advertises no token URL in its CapabilityStatement (as some servers behind
     * other gateways do) and lets any bearer read: only the caller's tenant is left to ask Azure AD in.
     */
    private static final class QuietFhirServer implements AutoCloseable {
        private final HttpsServer server;

        private QuietFhirServer(HttpsServer server) {
            this.server = server;
        }

        static QuietFhirServer start() throws Exception {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            server.setHttpsConfigurator(new HttpsConfigurator(TestCertificates.serverSslContext()));
            server.createContext("/", exchange -> {
                try (exchange) {
                    String answer = exchange.getRequestURI().getPath().endsWith("/metadata")
                            ? "{\"resourceType\":\"CapabilityStatement\",\"status\":\"active\",\"kind\":\"instance\",\"fhirVersion\":\"4.0.1\",\"format\":[\"json\"],\"rest\":[{\"mode\":\"server\"}]}"
                            : "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":0}";
                    byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "application/fhir+json");
                    exchange.sendResponseHeaders(200, bytes.length);
                    exchange.getResponseBody().write(bytes);
                }
            });
            server.start();
            return new QuietFhirServer(server);
        }

        String baseUrl() {
            return "https://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
