package io.fhirlink.management;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fhirlink.ops.CredentialExpiry;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LogCapture;
import io.fhirlink.support.TestCertificates;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end: a link whose application signs in with a certificate. The gateway requests its tokens
 * with a client assertion that the Azure AD stand-in verifies as Azure AD does (x5t#S256 names the registered
 * certificate, the signature, iss/sub, aud, time, jti); the certificate's end date is the link's; a rotated certificate
 * is refused by Azure AD until the link is updated; unusable certificates are refused before Azure AD is asked.
 */
class CertificateCredentialTest {

    private static final String COLLECTION = "/FhirServers/aadfhirrecord";
    private static final String CERT_CLIENT_ID = "c0000000-aaaa-4bbb-8ccc-000000000001";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static GatewayHarness h;
    private static KeyPair keys;
    private static X509Certificate certificate;

    @BeforeAll
    static void start() throws Exception {
        h = GatewayHarness.start(Map.of("FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS", "15000"));
        h.fhir.seedPatients(1, "Certified");
        keys = TestCertificates.rsaKeys(2048);
        certificate = TestCertificates.clientCertificate(keys, "fhir-link-cert-test", 90);
        h.aad.registerAppWithCertificate(TENANT, CERT_CLIENT_ID, certificate, true);
    }

    @AfterAll
    static void stop() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void register_withPemCertificate_signsInWithAnAssertion_showsTheCertificate_andProxies() throws Exception {
        h.aad.resetCounters();
        HttpResponse<String> created = post(body("cert-pem", TestCertificates.pemWithKey(certificate, keys.getPrivate())));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        JsonNode link = JSON.readTree(created.body());
        assertThat(link.path("credential").asText()).isEqualTo("certificate");
        assertThat(link.path("certificate").path("thumbprint").asText()).isEqualTo(TestCertificates.thumbprint(certificate));
        assertThat(link.path("certificate").path("subject").asText()).contains("CN=fhir-link-cert-test");
        assertThat(link.path("certificate").path("notAfter").asText()).isEqualTo(certificate.getNotAfter().toInstant().toString());
        // the certificate's end date feeds the expiry warnings
        assertThat(link.path("clientSecretExpiresOn").asText())
                .isEqualTo(certificate.getNotAfter().toInstant().atZone(ZoneOffset.UTC).toLocalDate().toString());
        assertThat(link.path("daysLeft").asLong()).isBetween(89L, 90L);
        assertThat(created.body()).doesNotContain("PRIVATE KEY").doesNotContain(keyLine());

        Map<String, String> form = h.aad.tokenRequestForms().get(0);
        assertThat(form).containsKey("client_assertion").doesNotContainKey("client_secret");

        HttpResponse<String> read = h.send("GET", "/cert-pem/Patient", h.token(TENANT), null);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).contains("Certified");
    }

    @Test
    void certificateEndingInTenDays_feedsTheExpiryGaugeAndTheDailyWarning() throws Exception {
        String clientId = "c0000000-aaaa-4bbb-8ccc-000000000003";
        KeyPair endingKeys = TestCertificates.rsaKeys(2048);
        X509Certificate ending = TestCertificates.clientCertificate(endingKeys, "ending", 10);
        h.aad.registerAppWithCertificate(TENANT, clientId, ending, true);
        HttpResponse<String> created = post(body("cert-ending", TestCertificates.pemWithKey(ending, endingKeys.getPrivate()), clientId));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        LogCapture logs = new LogCapture();
        logs.attach();
        try {
            h.gateway().bean("credentialExpiry", CredentialExpiry.class).check();
        } finally {
            logs.detach();
        }
        String metrics = h.http().send(HttpRequest.newBuilder(URI.create(h.managementUrl() + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher gauge = Pattern.compile("(?m)^fhirlink_link_credential_expiry_seconds\\{link=\"cert-ending\"\\} (\\S+)$").matcher(metrics);
        assertThat(gauge.find()).as("the gauge for cert-ending").isTrue();
        assertThat(Double.parseDouble(gauge.group(1))).isBetween(9 * 86_400.0, 10 * 86_400.0);
        assertThat(logs.lines()).filteredOn(line -> line.contains("link 'cert-ending': its client certificate expires on"))
                .hasSize(1).allSatisfy(line -> assertThat(line).contains("clientCertificate"));
    }

    @Test
    void register_withPkcs12AndPassword_isCreated() throws Exception {
        String pfx = TestCertificates.pkcs12Base64(certificate, keys.getPrivate(), "pfx-pass~word");
        ObjectNode body = body("cert-pfx", pfx);
        body.put("clientCertificatePassword", "pfx-pass~word");
        body.put("credential", "certificate");
        HttpResponse<String> created = post(body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(JSON.readTree(created.body()).path("certificate").path("thumbprint").asText())
                .isEqualTo(TestCertificates.thumbprint(certificate));
        assertThat(created.body()).doesNotContain("pfx-pass~word");
    }

    @Test
    void rotation_oldCertificateRefusedByAzureAdOnceRotatedThere_thenPutWithTheNewOneWorks() throws Exception {
        String clientId = "c0000000-aaaa-4bbb-8ccc-000000000002";
        KeyPair oldKeys = TestCertificates.rsaKeys(2048);
        X509Certificate oldCertificate = TestCertificates.clientCertificate(oldKeys, "rotating-old", 30);
        h.aad.registerAppWithCertificate(TENANT, clientId, oldCertificate, true);
        assertThat(post(body("cert-rotating", TestCertificates.pemWithKey(oldCertificate, oldKeys.getPrivate()), clientId))
                .statusCode()).isEqualTo(201);

        KeyPair newKeys = TestCertificates.rsaKeys(2048);
        X509Certificate newCertificate = TestCertificates.clientCertificate(newKeys, "rotating-new", 365);
        h.aad.rotateCertificate(clientId, newCertificate);

        HttpResponse<String> probe = h.send("POST", COLLECTION + "/cert-rotating/probe", h.token(TENANT), null);
        assertThat(probe.statusCode()).as(probe.body()).isEqualTo(400);
        assertThat(probe.body()).contains("AADSTS700027");

        ObjectNode update = body(null, TestCertificates.pemWithKey(newCertificate, newKeys.getPrivate()), clientId);
        HttpResponse<String> put = h.send("PUT", COLLECTION + "/cert-rotating", h.token(TENANT), JSON.writeValueAsString(update));
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(JSON.readTree(put.body()).path("certificate").path("thumbprint").asText())
                .isEqualTo(TestCertificates.thumbprint(newCertificate));
        HttpResponse<String> read = h.send("GET", "/cert-rotating/Patient", h.token(TENANT), null);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    }

    @Test
    void register_withAKeyThatIsNotTheCertificates_is400_beforeAzureAdIsAsked() throws Exception {
        KeyPair otherKeys = TestCertificates.rsaKeys(2048);
        assertRefused(body("cert-mismatch", TestCertificates.pemWithKey(certificate, otherKeys.getPrivate())),
                "does not belong to its certificate");
    }

    @Test
    void register_withAnExpiredCertificate_is400() throws Exception {
        KeyPair expiredKeys = TestCertificates.rsaKeys(2048);
        Instant now = Instant.now();
        X509Certificate expired = TestCertificates.clientCertificate(expiredKeys, "expired",
                now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(1)));
        assertRefused(body("cert-expired", TestCertificates.pemWithKey(expired, expiredKeys.getPrivate())), "has expired");
    }

    @Test
    void register_withAWeakKey_is400() throws Exception {
        KeyPair weakKeys = TestCertificates.rsaKeys(1024);
        X509Certificate weak = TestCertificates.clientCertificate(weakKeys, "weak", 30);
        assertRefused(body("cert-weak", TestCertificates.pemWithKey(weak, weakKeys.getPrivate())), "weak key (RSA 1024 bits)");
    }

    @Test
    void register_withASecretAndACertificate_is400() throws Exception {
        ObjectNode both = body("cert-and-secret", TestCertificates.pemWithKey(certificate, keys.getPrivate()));
        both.put("clientSecret", GatewayHarness.CLIENT_SECRET);
        assertRefused(both, "cannot be sent with clientSecret");
    }

    @Test
    void register_platformCredentialOnAGatewayWithoutAPlatformApplication_is400SayingSo() throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("fhirDatabaseDisplayName", "no-platform");
        body.put("fhirServerEndpoint", h.fhir.baseUrl());
        body.put("credential", "platform");
        HttpResponse<String> refused = post(body);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(refused.body()).path("errors").get(0);
        assertThat(error.path("field").asText()).isEqualTo("credential");
        assertThat(error.path("message").asText()).contains("no platform application").contains("FHIRLINK_PLATFORM_CLIENT_ID");
    }

    private static void assertRefused(ObjectNode body, String message) throws Exception {
        h.aad.resetCounters();
        HttpResponse<String> refused = post(body);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        JsonNode problem = JSON.readTree(refused.body());
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("clientCertificate");
        assertThat(problem.path("errors").get(0).path("message").asText()).contains(message);
        assertThat(h.aad.tokenRequests()).as("Azure AD is not asked about an unusable certificate").isZero();
    }

    private static ObjectNode body(String name, String clientCertificate) {
        return body(name, clientCertificate, CERT_CLIENT_ID);
    }

    private static ObjectNode body(String name, String clientCertificate, String clientId) {
        ObjectNode body = JSON.createObjectNode();
        if (name != null) {
            body.put("fhirDatabaseDisplayName", name);
        }
        body.put("fhirServerEndpoint", h.fhir.baseUrl());
        body.put("clientId", clientId);
        body.put("clientCertificate", clientCertificate);
        return body;
    }

    private static HttpResponse<String> post(ObjectNode body) throws Exception {
        return h.send("POST", COLLECTION, h.token(TENANT), JSON.writeValueAsString(body));
    }

    /** One line of the key's PEM body: enough of the key to be a leak. */
    private static String keyLine() {
        return TestCertificates.pem(keys.getPrivate()).split("\n")[3];
    }
}
