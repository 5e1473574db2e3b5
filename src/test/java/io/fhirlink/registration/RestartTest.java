package io.fhirlink.registration;

import static io.fhirlink.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.GatewayHarness;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Links live in PostgreSQL under FHIRLINK_DATA_DIR, so a restarted gateway still knows and serves them. */
class RestartTest {

    private static final String NAME = "survives-restart";
    private static GatewayHarness h;

    @BeforeAll
    static void registerThenRestart() throws Exception {
        h = GatewayHarness.start();
        h.fhir.seedPatients(1, "Restart");
        HttpResponse<String> created = h.register(NAME);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        h.restartGateway();
    }

    @AfterAll
    static void stop() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void restart_keepsTheLinkListed() throws Exception {
        HttpResponse<String> list = h.send("GET", "/FhirServers/aadfhirrecord", h.token(TENANT), null);

        assertThat(list.body()).contains("\"fhirDatabaseDisplayName\":\"" + NAME + "\"");
    }

    @Test
    void restart_keepsTheLinkProxying() throws Exception {
        HttpResponse<String> patients = h.send("GET", "/" + NAME + "/Patient", h.token(TENANT), null);

        assertThat(patients.statusCode()).as(patients.body()).isEqualTo(200);
        assertThat(patients.body()).contains("Restart");
    }
}
