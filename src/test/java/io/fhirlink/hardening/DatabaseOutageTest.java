package io.fhirlink.hardening;

import static io.fhirlink.hardening.Hardening.assertOperationOutcome;
import static io.fhirlink.hardening.Hardening.assertProblem;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PostgreSQL becomes unreachable (the relay between gateway and database is cut, as in a network partition) and
 * comes back. Meanwhile cached links keep being proxied, every call that needs the database answers 503 with
 * Retry-After, readiness is DOWN; afterwards all of it works again without restarting the gateway.
 */
@Timeout(value = 90)
class DatabaseOutageTest {

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of()).onRelayedDatabase();

    @BeforeAll
    static void start() throws Exception {
        assertThat(harness.register("cached").statusCode()).isEqualTo(201);
        assertThat(harness.register("removable").statusCode()).isEqualTo(201);
    }

    @AfterAll
    static void stop() throws Exception {
    }

    @Test
    void databaseCut_cachedLinksServe_everythingElse503_readinessDown_thenAllRecoversWithoutRestart() throws Exception {
        String token = harness.token(TENANT);
        assertThat(harness.send("GET", "/cached/Patient", token, null).statusCode()).isEqualTo(200); // now cached
        assertThat(ready()).isEqualTo(200);

        harness.database().cut();
        try {
            // each of these waits out the pool's connection timeout: run them side by side
            CompletableFuture<HttpResponse<String>> register = async(() -> harness.register("while-down"));
            CompletableFuture<HttpResponse<String>> list = async(() -> harness.send("GET", "/FhirServers/aadfhirrecord", token, null));
            CompletableFuture<HttpResponse<String>> one = async(() -> harness.send("GET", "/FhirServers/aadfhirrecord/cached", token, null));
            CompletableFuture<HttpResponse<String>> delete = async(() -> harness.send("DELETE", "/FhirServers/aadfhirrecord/removable", token, null));
            CompletableFuture<HttpResponse<String>> update = async(() -> harness.send("PUT", "/FhirServers/aadfhirrecord/cached", token,
                    LinkBody.writerOf(harness.fhir.baseUrl()).description("changed while down").json()));
            CompletableFuture<HttpResponse<String>> uncached = async(() -> harness.send("GET", "/never-cached/Patient", token, null));

            for (int i = 0; i < 10; i++) {
                assertThat(harness.send("GET", "/cached/Patient?_count=1", token, null).statusCode()).as("cached link").isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(ready()).as("readiness DOWN").isEqualTo(503));
            assertProblem(register.get(), 503);
            assertProblem(list.get(), 503);
            assertProblem(one.get(), 503);
            assertProblem(delete.get(), 503);
            assertProblem(update.get(), 503);
            assertThat(register.get().headers().firstValue("Retry-After")).isPresent();
            assertOperationOutcome(uncached.get(), 503, "transient");
        } finally {
            harness.database().open();
        }

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(ready()).as("readiness UP again").isEqualTo(200));
        assertThat(harness.register("after-outage").statusCode()).isEqualTo(201);
        assertThat(harness.send("GET", "/after-outage/Patient", token, null).statusCode()).isEqualTo(200);
        assertThat(harness.send("GET", "/FhirServers/aadfhirrecord", token, null).body())
                .contains("\"cached\"", "\"removable\"", "\"after-outage\"").doesNotContain("while-down", "changed while down");
        assertThat(harness.send("DELETE", "/FhirServers/aadfhirrecord/removable", token, null).statusCode()).isEqualTo(204);
    }

    private static CompletableFuture<HttpResponse<String>> async(Callable<HttpResponse<String>> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static int ready() {
        try {
            return harness.http().send(HttpRequest.newBuilder(URI.create(harness.managementUrl() + "/observe/health/ready"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
