package io.fhirlink.management;

import static io.fhirlink.support.GatewayHarness.CLIENT_ID;
import static io.fhirlink.support.GatewayHarness.CLIENT_SECRET;
import static io.fhirlink.support.GatewayHarness.READER_CLIENT_ID;
import static io.fhirlink.support.GatewayHarness.READER_SECRET;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import io.fhirlink.support.LogCapture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Captures every log line the JVM writes while links are registered (successfully and not, wrong secrets
 * included) and used through the proxy, then looks for secrets and tokens in them. The gateway's own loggers
 * run at DEBUG meanwhile: no level may print a secret.
 */
class SecretsNotLoggedTest {

    private static final String WRONG_SECRET = "Wr0ng~secret.that-must_not~leak";

    @RegisterExtension
    static final GatewayHarness h = GatewayHarness.forClass();
    private static final LogCapture logs = new LogCapture();
    private static final List<String> callerTokens = new ArrayList<>();

    @BeforeAll
    static void registerAndProxyWhileCapturing() throws Exception {
        logs.attach();
        try {
            String token = h.token(TENANT);
            callerTokens.add(token);
            h.register("logged-link");
            h.send("POST", "/FhirServers/aadfhirrecord", token, registrationWith("logged-wrong-secret", CLIENT_ID, WRONG_SECRET));
            h.send("POST", "/FhirServers/aadfhirrecord", token, registrationWith("logged-reader", READER_CLIENT_ID, READER_SECRET));
            h.send("POST", "/FhirServers/aadfhirrecord", token, registrationWith("logged-unknown-app",
                    "00000000-1111-4222-8333-444444444444", WRONG_SECRET));
            h.send("POST", "/FhirServers/aadfhirrecord", token, "{\"fhirDatabaseDisplayName\": \"-bad\", \"clientSecret\": \""
                    + WRONG_SECRET + "\", \"clientID\": \"x\"}");
            h.send("POST", "/FhirServers/aadfhirrecord", token, "{\"clientSecret\": \"" + WRONG_SECRET + "\",");
            h.register("logged-link"); // 409

            h.send("POST", "/logged-link/Patient", token, "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Logged\"}]}",
                    "Content-Type", "application/fhir+json");
            h.send("GET", "/logged-link/Patient?family=Logged", token, null);
            h.fhir.rejectNextTokens(1); // the gateway renews its Azure token and retries once
            h.send("GET", "/logged-link/Patient", token, null);
            h.send("GET", "/logged-link/Patient/does-not-exist", token, null);

            String expired = h.aad.callerTokenBuilder(TENANT, "expired-caller")
                    .notBefore(java.time.Instant.now().minusSeconds(7200)).expiresAt(java.time.Instant.now().minusSeconds(600)).build();
            String forged = h.aad.callerTokenBuilder(TENANT, "forging-caller").forgedWithKnownKid().build();
            callerTokens.add(expired);
            callerTokens.add(forged);
            h.send("GET", "/FhirServers/aadfhirrecord", expired, null);
            h.send("GET", "/logged-link/Patient", forged, null);
        } finally {
            logs.detach();
        }
    }

    @Test
    void capture_sawTheGatewayAtWork() {
        // Guards the other tests: an appender that captured nothing would make them pass vacuously.
        assertThat(logs.lines()).anySatisfy(line -> assertThat(line).contains("logged-link"));
    }

    @Test
    void logs_neverContainTheClientSecret() {
        assertThat(logs.lines()).noneSatisfy(line -> assertThat(line).contains(CLIENT_SECRET));
    }

    @Test
    void logs_neverContainAWrongClientSecret() {
        assertThat(logs.lines()).noneSatisfy(line -> assertThat(line).contains(WRONG_SECRET));
    }

    @Test
    void logs_neverContainTheReaderAppsSecret() {
        assertThat(logs.lines()).noneSatisfy(line -> assertThat(line).contains(READER_SECRET));
    }

    @Test
    void logs_neverContainACallerToken() {
        for (String token : callerTokens) {
            String signature = token.substring(token.lastIndexOf('.') + 1);
            assertThat(logs.lines()).noneSatisfy(line -> assertThat(line).contains(signature));
        }
    }

    @Test
    void logs_neverContainABearerJwt() {
        assertThat(logs.lines()).noneSatisfy(line -> assertThat(line).contains("Bearer ey"));
    }

    @Test
    void logs_neverContainAnyJwt() {
        // Upstream Azure tokens are JWTs too: no header.payload pair of any JWT may be printed.
        assertThat(logs.lines()).noneSatisfy(line -> assertThat(line).containsPattern("eyJ[\\w-]{10,}\\.eyJ[\\w-]{10,}"));
    }

    private static String registrationWith(String name, String clientId, String secret) {
        return LinkBody.registration(name, h.fhir.baseUrl()).client(clientId, secret).json();
    }
}
