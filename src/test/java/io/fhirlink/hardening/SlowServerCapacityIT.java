package io.fhirlink.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.support.AzureAdStandIn;
import io.fhirlink.support.AzureFhirStandIn;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.GatewayProcess;
import io.fhirlink.support.SlowFhirServer;
import io.fhirlink.support.StandInVariables;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No thread is held per call: 2,000 calls wait at once on one organization's FHIR server while another
 * organization's calls answer as fast as ever, and the packaged gateway (its own JVM, 256 MB heap) runs fewer than
 * 100 threads throughout; the server then answers them all 2 s later. (The server holds its answers until all 2,000
 * are in: opening 2,000 TLS connections takes this 2-core machine longer than 2 s.) Calls beyond the per-link bound
 * are refused with 503 at once, never left to hang.
 */
@Timeout(value = 180)
class SlowServerCapacityIT {

    private static final int WAITING_CALLS = 2000;
    private static final int PER_LINK_LIMIT = 2100;
    private static final String TENANT = GatewayHarness.TENANT;

    private static AzureAdStandIn aad;
    private static AzureFhirStandIn fast;
    private static SlowFhirServer slow;
    private static Process gateway;
    private static int port;
    private static String token;
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        aad = AzureAdStandIn.start();
        aad.registerApp(TENANT, GatewayHarness.CLIENT_ID, GatewayHarness.CLIENT_SECRET, true);
        fast = AzureFhirStandIn.start(aad, TENANT);
        slow = SlowFhirServer.start();
        Path dataDir = Files.createTempDirectory("fhirlink-capacity");
        port = GatewayHarness.freePort();
        Map<String, String> env = StandInVariables.pointingAt(aad);
        env.put("FHIRLINK_HTTP_PORT", Integer.toString(port));
        env.put("FHIRLINK_MANAGEMENT_PORT", Integer.toString(GatewayHarness.freePort()));
        env.put("FHIRLINK_DATA_DIR", dataDir.toString());
        env.put("FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS", "90000");
        env.put("FHIRLINK_MAX_INFLIGHT", "5000");
        env.put("FHIRLINK_MAX_INFLIGHT_PER_LINK", Integer.toString(PER_LINK_LIMIT));
        gateway = GatewayProcess.launch(env, dataDir.resolve("gateway.log"));
        token = aad.callerToken(TENANT, "capacity-test");
        assertThat(register("slow", slow.baseUrl())).isEqualTo(201);
        assertThat(register("fast", fast.baseUrl())).isEqualTo(201);
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.destroy();
            gateway.waitFor(20, TimeUnit.SECONDS);
        }
        slow.close();
        fast.close();
        aad.close();
    }

    @Test
    void twoThousandCallsWaitingOnOneServer_holdNoThreads_andDoNotSlowAnotherLink() throws Exception {
        slow.holdAnswers();
        Vertx client = Vertx.vertx();
        try {
            HttpClient http = client.createHttpClient(new HttpClientOptions().setMaxPoolSize(WAITING_CALLS + 200)
                    .setMaxWaitQueueSize(-1));
            List<Future<Integer>> waiting = new ArrayList<>();
            long sent = System.nanoTime();
            // in steps of 200: each call needs a TLS connection of its own to the slow server, and a burst of 2,000
            // handshakes on a busy 2-core machine can outlast the client's 10 s handshake timeout
            for (int step = 1; step <= WAITING_CALLS / 200; step++) {
                for (int i = 0; i < 200; i++) {
                    waiting.add(get(http, "/slow/Patient/p" + waiting.size()).map(r -> r.statusCode()));
                }
                int expected = step * 200;
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(slow.holding())
                        .as("calls waiting on the slow server").isGreaterThanOrEqualTo(expected));
            }
            System.out.printf("capacity: %d calls in flight after %d ms%n", WAITING_CALLS, (System.nanoTime() - sent) / 1_000_000);

            int threads = gatewayThreads();
            long[] fastCalls = new long[100];
            for (int i = 0; i < fastCalls.length; i++) {
                long started = System.nanoTime();
                HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/fast/Patient?_count=1")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
                fastCalls[i] = System.nanoTime() - started;
                assertThat(answer.statusCode()).isEqualTo(200);
            }
            // beyond the per-link bound: refused at once
            List<Future<io.vertx.core.http.HttpClientResponse>> beyond = new ArrayList<>();
            for (int i = 0; i < PER_LINK_LIMIT - WAITING_CALLS + 50; i++) {
                beyond.add(get(http, "/slow/Patient/extra" + i));
            }
            // the refusals come at once, while every admitted call still waits
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(beyond.stream().filter(Future::isComplete).count())
                    .as("calls beyond the bound answered").isGreaterThanOrEqualTo(50));
            long refused = beyond.stream().filter(Future::isComplete).filter(f -> f.result().statusCode() == 503).count();
            long refusedWithRetryAfter = beyond.stream().filter(Future::isComplete)
                    .filter(f -> f.result().statusCode() == 503 && f.result().getHeader("Retry-After") != null).count();
            slow.release(Duration.ofSeconds(2));
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> call : waiting) {
                statuses.add(call.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
            }
            for (Future<io.vertx.core.http.HttpClientResponse> call : beyond) {
                statuses.add(call.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS).statusCode());
            }
            statuses.removeIf(status -> status == 503);

            Arrays.sort(fastCalls);
            Duration p99 = Duration.ofNanos(fastCalls[98]);
            System.out.printf("capacity: %d calls waiting, gateway threads %d, other link p50 %.1f ms p99 %.1f ms,"
                    + " %d refused beyond the bound%n", WAITING_CALLS, threads, fastCalls[49] / 1e6, fastCalls[98] / 1e6, refused);
            assertThat(statuses).as("every admitted call answered").hasSize(PER_LINK_LIMIT).containsOnly(200);
            assertThat(threads).as("live threads of the gateway with %d calls waiting", WAITING_CALLS).isLessThan(100);
            assertThat(p99).as("p99 of another link's calls meanwhile").isLessThan(Duration.ofMillis(100));
            assertThat(refused).as("calls beyond the per-link bound refused").isEqualTo(50);
            assertThat(refusedWithRetryAfter).isEqualTo(refused);
        } finally {
            client.close();
        }
    }

    private static Future<io.vertx.core.http.HttpClientResponse> get(HttpClient http, String path) {
        return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(path)
                        .addHeader("Authorization", "Bearer " + token))
                .compose(request -> request.send().compose(response -> response.body().map(body -> response)));
    }

    /** The gateway JVM's live threads, as the kernel counts them. */
    private static int gatewayThreads() throws Exception {
        return Files.readAllLines(Path.of("/proc", Long.toString(gateway.pid()), "status")).stream()
                .filter(l -> l.startsWith("Threads:")).map(l -> Integer.parseInt(l.substring(8).trim()))
                .findFirst().orElseThrow();
    }

    private static int register(String name, String endpoint) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/FhirServers/aadfhirrecord"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Hardening.registration(name, endpoint))).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
