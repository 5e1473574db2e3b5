package io.fhirlink.hardening;

import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import io.fhirlink.support.LogCapture;
import io.fhirlink.support.RecordedRequest;
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
 * and the link table as text. No client secret and no bearer token, the callers' or the gateway's, may be there.
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
        try (GatewayHarness harness = GatewayHarness.start(Map.of())) {
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
