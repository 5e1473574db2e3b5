package io.fhirlink.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.AzureAdStandIn;
import io.fhirlink.support.AzureFhirStandIn;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.GatewayProcess;
import io.fhirlink.support.StandInVariables;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No registration answered with 201 is ever lost: the packaged gateway is killed with SIGKILL (no shutdown hook,
 * no graceful stop of its embedded PostgreSQL) the moment the 201 arrives, started again on the same data
 * directory, and the link is there and proxies. Runs in the integration-test phase, after the jar is built.
 */
class GatewayCrashIT {

    private static final String TENANT = GatewayHarness.TENANT;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static AzureAdStandIn aad;
    private static AzureFhirStandIn fhir;
    private static Path dataDir;
    private static Path logFile;
    private static int port;
    private static Process gateway;

    @BeforeAll
    static void start() throws Exception {
        aad = AzureAdStandIn.start();
        aad.registerApp(TENANT, GatewayHarness.CLIENT_ID, GatewayHarness.CLIENT_SECRET, true);
        fhir = AzureFhirStandIn.start(aad, TENANT);
        dataDir = Files.createTempDirectory("fhirlink-crash");
        logFile = dataDir.resolve("gateway.log");
        port = GatewayHarness.freePort();
        gateway = launch();
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.destroy();
            gateway.waitFor(30, TimeUnit.SECONDS);
        }
        stopOrphanedPostgres();
        fhir.close();
        aad.close();
    }

    @Test
    void killedRightAfterA201_theLinkIsThereAfterARestart() throws Exception {
        HttpResponse<String> created = post("/FhirServers/aadfhirrecord", Hardening.registration("crash-proof", fhir.baseUrl()));
        gateway.destroyForcibly(); // SIGKILL on Linux: nothing of the gateway runs after the 201
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();

        gateway = launch();

        HttpResponse<String> link = HTTP.send(request("/FhirServers/aadfhirrecord/crash-proof").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(link.statusCode()).as(link.body()).isEqualTo(200);
        assertThat(HTTP.send(request("/crash-proof/Patient").build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    private static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + aad.callerToken(TENANT, "operator"));
    }

    /** The embedded PostgreSQL outlives a SIGKILLed gateway; stop the one this test's data directory names. */
    private static void stopOrphanedPostgres() throws IOException {
        try (var files = Files.walk(dataDir, 3)) {
            for (Path pidFile : files.filter(f -> f.getFileName().toString().equals("postmaster.pid")).toList()) {
                long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
        }
    }

    private static Process launch() throws Exception {
        Map<String, String> env = StandInVariables.pointingAt(aad);
        env.put("FHIRLINK_HTTP_PORT", Integer.toString(port));
        env.put("FHIRLINK_MANAGEMENT_PORT", Integer.toString(GatewayHarness.freePort()));
        env.put("FHIRLINK_DATA_DIR", dataDir.toString());
        return GatewayProcess.launch(env, logFile);
    }
}
