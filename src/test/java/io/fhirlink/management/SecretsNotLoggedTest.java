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
import io.fhirlink.support.TestCertificates;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
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
    private static final String CERT_CLIENT_ID = "c0000000-aaaa-4bbb-8ccc-00000000109d";
    private static final String PFX_PASSWORD = "pfx~password.that-must_not~leak";
    private static final KeyPair KEYS = TestCertificates.rsaKeys(2048);
    private static final KeyPair OTHER_KEYS = TestCertificates.rsaKeys(2048);
    private static final X509Certificate CERTIFICATE = TestCertificates.clientCertificate(KEYS, "logged", 30);

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

            // a certificate link: registered, refused with the wrong key and as PKCS#12 with a wrong password, used
            h.aad.registerAppWithCertificate(TENANT, CERT_CLIENT_ID, CERTIFICATE, true);
            h.send("POST", "/FhirServers/aadfhirrecord", token, certificateRegistration("logged-cert",
                    TestCertificates.pemWithKey(CERTIFICATE, KEYS.getPrivate()), null));
            h.send("POST", "/FhirServers/aadfhirrecord", token, certificateRegistration("logged-cert-mismatch",
                    TestCertificates.pemWithKey(CERTIFICATE, OTHER_KEYS.getPrivate()), null));
            h.send("POST", "/FhirServers/aadfhirrecord", token, certificateRegistration("logged-cert-pfx",
                    TestCertificates.pkcs12Base64(CERTIFICATE, KEYS.getPrivate(), PFX_PASSWORD), PFX_PASSWORD + "-wrong"));
            h.send("GET", "/logged-cert/Patient", token, null);
            h.aad.rotateCertificate(CERT_CLIENT_ID, TestCertificates.clientCertificate(OTHER_KEYS, "rotated", 30));
            h.gateway().bean("upstreamTokens", io.fhirlink.auth.UpstreamTokens.class).forgetAll();
            h.send("GET", "/logged-cert/Patient", token, null); // Azure AD refuses the old certificate
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

    @Test
    void capture_sawTheCertificateLinkAtWork() {
        // the certificate link was made and answered a proxied call: its key was in use while the loggers listened
        assertThat(logs.lines()).anySatisfy(line -> assertThat(line).contains("link=logged-cert ").contains("status=200"));
    }

    @Test
    void logs_neverContainAPieceOfAPrivateKeyOrAPkcs12Password() {
        for (KeyPair keys : List.of(KEYS, OTHER_KEYS)) {
            String[] pem = TestCertificates.pem(keys.getPrivate()).split("\n");
            for (int i = 1; i < pem.length - 2; i++) {
                String line = pem[i];
                assertThat(logs.lines()).noneSatisfy(logged -> assertThat(logged).contains(line));
            }
        }
        assertThat(logs.lines()).noneSatisfy(line -> assertThat(line).contains(PFX_PASSWORD));
    }

    private static String certificateRegistration(String name, String certificate, String password) {
        com.fasterxml.jackson.databind.node.ObjectNode body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        body.put("fhirDatabaseDisplayName", name);
        body.put("fhirServerEndpoint", h.fhir.baseUrl());
        body.put("clientId", CERT_CLIENT_ID);
        body.put("clientCertificate", certificate);
        if (password != null) {
            body.put("clientCertificatePassword", password);
        }
        return body.toString();
    }

    private static String registrationWith(String name, String clientId, String secret) {
        return LinkBody.registration(name, h.fhir.baseUrl()).client(clientId, secret).json();
    }
}
