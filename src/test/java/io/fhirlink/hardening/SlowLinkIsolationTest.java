package io.fhirlink.hardening;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.support.FaultyFhirServer;
import io.fhirlink.support.GatewayHarness;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One organization's FHIR server hangs while many of its calls are in flight; another organization's calls must not
 * wait for them. Every upstream call holds one of the gateway's worker threads while it waits for its answer, so
 * this is what the worker pool is sized for (FHIRLINK_WORKER_THREADS).
 */
@Timeout(value = 60)
class SlowLinkIsolationTest {

    /** More than Vert.x's default of 20 worker threads, fewer than the gateway's default pool. */
    private static final int HANGING_CALLS = 60;

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of());
    private static FaultyFhirServer hanging;
    private static FaultyFhirServer healthy;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        hanging = new FaultyFhirServer();
        healthy = new FaultyFhirServer();
        assertThat(Hardening.register(harness, "hanging", hanging.baseUrl()).statusCode()).isEqualTo(201);
        assertThat(Hardening.register(harness, "healthy", healthy.baseUrl()).statusCode()).isEqualTo(201);
        token = harness.token(TENANT);
    }

    @AfterAll
    static void stop() throws Exception {
        hanging.close();
        healthy.close();
    }

    @Test
    void callsToAHangingServer_doNotQueueCallsToAnotherOne() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(HANGING_CALLS);
        try {
            List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
            for (int i = 0; i < HANGING_CALLS; i++) {
                slow.add(CompletableFuture.supplyAsync(() -> send("/hanging/Patient/slow"), callers));
            }
            // With 20 workers only 20 calls get through until the first ones time out (3 s): 60 would take 6 s.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(hanging.hits("/Patient/slow"))
                    .as("calls the hanging server holds at once").isEqualTo(HANGING_CALLS));

            long started = System.nanoTime();
            HttpResponse<String> other = send("/healthy/Patient/healthy");
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(other.statusCode()).isEqualTo(200);
            assertThat(took).as("another link's call while %d calls hang", HANGING_CALLS).isLessThan(Duration.ofSeconds(1));
            for (CompletableFuture<HttpResponse<String>> call : slow) {
                assertThat(call.get().statusCode()).isEqualTo(504); // FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS in the harness
            }
        } finally {
            callers.shutdownNow();
        }
    }

    private static HttpResponse<String> send(String path) {
        try {
            return harness.send("GET", path, token, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
