package io.fhirlink.hardening;

import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import io.fhirlink.support.LogCapture;
import io.fhirlink.support.RecordedRequest;
import io.fhirlink.support.TestCertificates;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the suite's scenarios once more in one place (registration right and wrong, secret rotation, proxying with
 * a revoked token, throttling, Azure AD refusing a stored secret, another organization, deletion) and then searches
 * everything an attacker or an operator could read: every log line, every response (status line, headers, body)
 * and the link table as text. No client secret and no bearer token, the callers' or the gateway's, may be there; nor,
 * for certificate links (registered, used, refused, rotated), any piece of a private key, a PKCS#12 password or a
 * client assertion.
 */
@Timeout(value = 90)
class SecretsExposureTest {

    private static final String WRONG_SECRET = "Wr0ng~secret.value_that-must-not-leak";
    private static final String ROTATED_SECRET = "R0tated~secret.value_that-must-not-leak";

    private final List<String> seen = new ArrayList<>();

    @Test
    void afterTheScenarios_logsResponsesAndTheDatabaseHoldNoSecretAndNoToken() throws Exception {
        LogCapture logs = new LogCapture();
        logs.attach();
        Set<String> secrets = new LinkedHashSet<>(List.of(GatewayHarness.CLIENT_SECRET, WRONG_SECRET, ROTATED_SECRET));
        Set<String> tokens = new LinkedHashSet<>();
        String dump;
        // the FHIR stand-in's first search takes seconds while HAPI warms up: the first probe must not time out
        try (GatewayHarness harness = GatewayHarness.start(Map.of("FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS", "15000"))) {
            harness.aad.registerApp(TENANT, "11111111-2222-3333-4444-555555555555", ROTATED_SECRET, true);
            String token = harness.token(TENANT);
            String other = harness.token(OTHER_TENANT);
            tokens.add(token);
            tokens.add(other);

            keep(harness.register("secretive"));
            keep(harness.send("POST", "/FhirServers/aadfhirrecord", token, harness.registration("wrong").replace(GatewayHarness.CLIENT_SECRET, WRONG_SECRET)));
            keep(harness.send("GET", "/FhirServers/aadfhirrecord", token, null));
            keep(harness.send("GET", "/FhirServers/aadfhirrecord/secretive", token, null));
            keep(harness.send("GET", "/secretive/Patient?name=Secretive", token, null));
            keep(harness.send("POST", "/secretive/Patient", token, "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Secretive\"}]}",
                    "Content-Type", "application/fhir+json"));
            harness.fhir.rejectNextTokens(1);
            keep(harness.send("GET", "/secretive/Patient", token, null));
            harness.fhir.throttleNext(1);
            keep(harness.send("GET", "/secretive/Patient", token, null));
            keep(harness.send("GET", "/secretive/Patient", other, null));
            keep(harness.send("GET", "/FhirServers/aadfhirrecord/secretive", other, null));
            keep(harness.send("GET", "/secretive/Patient", token + "x", null));
            keep(harness.send("GET", "/secretive/Patient", null, null, "Authorization", "Basic " + java.util.Base64.getEncoder()
                    .encodeToString(("user:" + GatewayHarness.CLIENT_SECRET).getBytes())));
            keep(harness.send("GET", "/secretive/Patient/%2e%2e/x", token, null));
            keep(harness.send("PUT", "/FhirServers/aadfhirrecord/secretive", token, LinkBody.writerOf(harness.fhir.baseUrl())
                    .client("11111111-2222-3333-4444-555555555555", ROTATED_SECRET).json()));
            keep(harness.send("GET", "/secretive/Patient", token, null));
            harness.aad.expireSecret("11111111-2222-3333-4444-555555555555");
            harness.gateway().bean("linkDirectory", io.fhirlink.links.LinkDirectory.class).evict("secretive");
            keep(harness.send("GET", "/secretive/Patient", token, null));
            keep(harness.register("doomed"));
            keep(harness.send("DELETE", "/FhirServers/aadfhirrecord/doomed", token, null));

            // certificate credentials: registration (PEM and PKCS#12), use, a refused key, rotation, Azure AD refusing
            harness.aad.registerAppWithCertificate(TENANT, CERT_CLIENT_ID, certificate, true);
            keep(harness.send("POST", "/FhirServers/aadfhirrecord", token, certificateBody("certified",
                    harness.fhir.baseUrl(), TestCertificates.pemWithKey(certificate, keys.getPrivate()), null)));
            keep(harness.send("POST", "/FhirServers/aadfhirrecord", token, certificateBody("pfx-certified",
                    harness.fhir.baseUrl(), TestCertificates.pkcs12Base64(certificate, keys.getPrivate(), PFX_PASSWORD), PFX_PASSWORD)));
            keep(harness.send("POST", "/FhirServers/aadfhirrecord", token, certificateBody("mismatched",
                    harness.fhir.baseUrl(), TestCertificates.pemWithKey(certificate, otherKeys.getPrivate()), null)));
            keep(harness.send("GET", "/certified/Patient", token, null));
            keep(harness.send("GET", "/FhirServers/aadfhirrecord/certified", token, null));
            harness.aad.rotateCertificate(CERT_CLIENT_ID, rotatedCertificate);
            keep(harness.send("POST", "/FhirServers/aadfhirrecord/certified/probe", token, null));
            harness.gateway().bean("upstreamTokens", io.fhirlink.auth.UpstreamTokens.class).forgetAll();
            keep(harness.send("GET", "/pfx-certified/Patient", token, null));
            keep(harness.send("PUT", "/FhirServers/aadfhirrecord/certified", token, certificateBody(null,
                    harness.fhir.baseUrl(), TestCertificates.pemWithKey(rotatedCertificate, otherKeys.getPrivate()), null)));
            keep(harness.send("GET", "/certified/Patient", token, null));
            keep(harness.send("GET", "/FhirServers/aadfhirrecord", token, null));
            for (Map<String, String> form : harness.aad.tokenRequestForms()) {
                if (form.containsKey("client_assertion")) {
                    tokens.add(form.get("client_assertion")); // a client assertion is a credential for 10 minutes
                }
            }

            for (RecordedRequest upstream : harness.fhir.requests()) {
                String authorization = upstream.header("Authorization");
                if (authorization != null && authorization.startsWith("Bearer ")) {
                    tokens.add(authorization.substring(7));
                }
            }
            dump = linkTable(harness);
        } finally {
            logs.detach();
        }

        assertThat(tokens).as("upstream tokens the gateway used").hasSizeGreaterThan(2);
        assertThat(dump).contains("certified").contains("BEGIN CERTIFICATE");
        secrets.add(PFX_PASSWORD);
        secrets.addAll(keyLines(keys));
        secrets.addAll(keyLines(otherKeys));
        assertThat(dump).contains("secretive");
        List<String> places = new ArrayList<>(seen);
        places.add(dump);
        places.addAll(logs.lines());
        for (String place : places) {
            for (String secret : secrets) {
                assertThat(place).as("a secret in clear").doesNotContain(secret);
            }
            for (String bearer : tokens) {
                // the signature alone is enough to replay nothing, but the header+payload+signature is a credential
                assertThat(place).as("a bearer token in clear").doesNotContain(bearer)
                        .doesNotContain(bearer.substring(bearer.lastIndexOf('.') + 1));
            }
        }
    }

    private static final String CERT_CLIENT_ID = "c0000000-aaaa-4bbb-8ccc-00000000e4e4";
    private static final String PFX_PASSWORD = "pfx~password.that-must-not-leak";
    private final KeyPair keys = TestCertificates.rsaKeys(2048);
    private final KeyPair otherKeys = TestCertificates.rsaKeys(2048);
    private final X509Certificate certificate = TestCertificates.clientCertificate(keys, "exposure", 30);
    private final X509Certificate rotatedCertificate = TestCertificates.clientCertificate(otherKeys, "exposure-rotated", 60);

    /** Every line of the key's PKCS#8 PEM body, and the key's DER in one piece, base64 and hex: any is a leak. */
    private static List<String> keyLines(KeyPair keys) {
        List<String> lines = new ArrayList<>();
        String[] pem = TestCertificates.pem(keys.getPrivate()).split("\n");
        for (int i = 1; i < pem.length - 2; i++) { // the last body line may be short and common
            lines.add(pem[i]);
        }
        lines.add(java.util.HexFormat.of().formatHex(keys.getPrivate().getEncoded()).substring(200, 264));
        lines.add(((java.security.interfaces.RSAPrivateCrtKey) keys.getPrivate()).getPrivateExponent().toString(16).substring(0, 64));
        return lines;
    }

    private static String certificateBody(String name, String endpoint, String certificate, String password) throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        if (name != null) {
            body.put("fhirDatabaseDisplayName", name);
        }
        body.put("fhirServerEndpoint", endpoint);
        body.put("clientId", CERT_CLIENT_ID);
        body.put("clientCertificate", certificate);
        if (password != null) {
            body.put("clientCertificatePassword", password);
        }
        return body.toString();
    }

    private void keep(HttpResponse<String> response) {
        seen.add(response.statusCode() + " " + response.headers().map() + "\n" + response.body());
    }

    private static String linkTable(GatewayHarness harness) throws Exception {
        StringBuilder text = new StringBuilder();
        try (Connection db = harness.gateway().database().dataSource().getConnection();
                Statement select = db.createStatement();
                ResultSet rows = select.executeQuery("select * from fhir_link")) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                for (int i = 1; i <= columns; i++) {
                    text.append(rows.getMetaData().getColumnName(i)).append('=').append(rows.getString(i)).append('\t');
                }
                text.append('\n');
            }
        }
        return text.toString();
    }
}
