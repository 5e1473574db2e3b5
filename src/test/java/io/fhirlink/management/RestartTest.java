package io.fhirlink.management;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fhirlink.config.ConfigurationException;
import io.fhirlink.config.Settings;
import io.fhirlink.links.Database;
import io.fhirlink.support.GatewayHarness;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Links live in PostgreSQL under FHIRLINK_DATA_DIR, so a restarted gateway still knows and serves them. */
class RestartTest {

    private static final String NAME = "survives-restart";
    @RegisterExtension
    static final GatewayHarness h = GatewayHarness.forClass();

    @BeforeAll
    static void registerThenRestart() throws Exception {
        h.fhir.seedPatients(1, "Restart");
        HttpResponse<String> created = h.register(NAME);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        h.restartGateway();
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

    @Test
    void aSecondProcessOnTheRunningGatewaysDataDir_isRefused_andLeavesItsDatabaseRunning() throws Exception {
        // e.g. reencrypt-secrets started beside a running gateway: it must not take the live PostgreSQL for a leftover
        Settings sameDataDir = Settings.from(Map.of("FHIRLINK_DATA_DIR", h.gateway().settings().dataDir().toString()));

        assertThatThrownBy(() -> Database.open(sameDataDir))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("another fhir-link is running with FHIRLINK_DATA_DIR");
        // the list reads PostgreSQL, which must still take new connections
        assertThat(h.send("GET", "/FhirServers/aadfhirrecord", h.token(TENANT), null).statusCode()).isEqualTo(200);
    }
}
