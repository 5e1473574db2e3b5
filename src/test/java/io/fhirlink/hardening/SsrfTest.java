package io.fhirlink.hardening;

import static io.fhirlink.hardening.Hardening.assertOperationOutcome;
import static io.fhirlink.hardening.Hardening.assertProblem;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.links.SecretCipher;
import io.fhirlink.support.GatewayHarness;
import java.net.URI;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A link must not become a way into the gateway's own network. With private addresses disallowed and every host
 * name allowed (so only the address check decides), endpoints that name or resolve to loopback, link-local,
 * private, shared, multicast or reserved ranges, in any spelling, are refused before anything is contacted; and a
 * link whose name later resolves to such an address (DNS rebinding, simulated by a row written straight into the
 * database) is refused when the gateway connects.
 */
@Timeout(value = 60)
class SsrfTest {

    private static final byte[] KEY = randomKey();
    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of(
                "FHIRLINK_ALLOW_PRIVATE_ADDRESSES", "false",
                "FHIRLINK_ALLOWED_FHIR_HOSTS", "*",
                "FHIRLINK_UPSTREAM_CONNECT_TIMEOUT_MS", "1000",
                "FHIRLINK_SECRET_KEY", Base64.getEncoder().encodeToString(KEY)));
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        token = harness.token(TENANT);
    }

    @BeforeEach
    void clearRecordings() {
        harness.fhir.clearRequests();
    }

    static Stream<String> privateEndpoints() {
        return Corpus.lines("ssrf-endpoints.txt").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("privateEndpoints")
    void register_refusesEndpointNamingOrResolvingToAPrivateAddress(String template) throws Exception {
        String endpoint = template.replace("{port}", Integer.toString(URI.create(harness.fhir.baseUrl()).getPort()));
        int tokenRequestsBefore = harness.aad.tokenRequests();

        HttpResponse<String> answer = harness.send("POST", "/FhirServers/aadfhirrecord", token,
                Hardening.registration("ssrf-probe", endpoint));

        assertProblem(answer, 400);
        assertThat(Hardening.json(answer).path("errors").findValuesAsText("field")).contains("fhirServerEndpoint");
        assertThat(harness.fhir.requests()).as("requests that reached the FHIR stand-in").isEmpty();
        assertThat(harness.aad.tokenRequests()).as("token requests").isEqualTo(tokenRequestsBefore);
    }

    @Test
    void linkWhoseNameLaterResolvesToAPrivateAddress_isRefusedAtConnectTime() throws Exception {
        // As if "fhir.example.com" had resolved to a public address at registration and to 127.0.0.1 now.
        insertLink("rebound", harness.fhir.baseUrl());

        HttpResponse<String> answer = harness.send("GET", "/rebound/Patient", token, null);

        assertOperationOutcome(answer, 502, "transient");
        assertThat(Hardening.json(answer).path("issue").path(0).path("diagnostics").asText()).contains("private or local address");
        assertThat(harness.fhir.requests()).isEmpty();
    }

    @Test
    void linkToLocalhostByName_isRefusedAtConnectTime_evenForTheAnonymousCapabilityStatement() throws Exception {
        insertLink("rebound-name", harness.fhir.baseUrl().replace("127.0.0.1", "localhost"));

        HttpResponse<String> answer = harness.send("GET", "/rebound-name/metadata", null, null);

        assertOperationOutcome(answer, 502, "transient");
        assertThat(harness.fhir.requests()).isEmpty();
    }

    private static void insertLink(String name, String endpoint) throws Exception {
        SecretCipher.Sealed sealed = new SecretCipher(Base64.getEncoder().encodeToString(KEY)).seal(name, GatewayHarness.CLIENT_SECRET);
        try (Connection db = harness.gateway().database().dataSource().getConnection();
                PreparedStatement insert = db.prepareStatement("insert into fhir_link (display_name, organization_id, "
                        + "fhir_server_endpoint, tenant_id, client_id, client_secret, secret_key_id, fhir_version) "
                        + "values (?, ?, ?, ?, ?, ?, ?, '4.0.1')")) {
            insert.setString(1, name);
            insert.setString(2, TENANT);
            insert.setString(3, endpoint);
            insert.setString(4, TENANT);
            insert.setString(5, GatewayHarness.CLIENT_ID);
            insert.setString(6, sealed.ciphertext());
            insert.setString(7, sealed.keyId());
            insert.executeUpdate();
        }
    }

    private static byte[] randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }
}
