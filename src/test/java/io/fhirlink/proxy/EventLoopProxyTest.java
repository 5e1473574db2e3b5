package io.fhirlink.proxy;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.RecordedRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import org.apache.camel.api.management.ManagedCamelContext;
import org.apache.camel.api.management.mbean.ManagedRouteMBean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The proxy route runs on the event loops: what operators and the FHIR server see of it stays true. */
class EventLoopProxyTest {

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass();
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        assertThat(harness.register("clinic").statusCode()).isEqualTo(201);
        token = harness.token(TENANT);
    }

    @AfterEach
    void noDelay() {
        harness.fhir.setResponseDelay(Duration.ZERO);
    }

    @Test
    void jmx_countsEachProxiedCall_andItsTimeIncludesTheUpstreamWait() throws Exception {
        ManagedRouteMBean route = proxyRoute();
        long before = route.getExchangesTotal();
        harness.fhir.setResponseDelay(Duration.ofMillis(60));

        for (int i = 0; i < 10; i++) {
            assertThat(harness.send("GET", "/clinic/Patient?_count=1", token, null).statusCode()).isEqualTo(200);
        }

        // the exchange completes when its answer is written, not when the route hands the call to the client
        assertThat(route.getExchangesTotal() - before).isEqualTo(10);
        assertThat(route.getExchangesInflight()).isZero();
        assertThat(route.getLastProcessingTime()).isGreaterThanOrEqualTo(60);
    }

    @Test
    void jmx_showsACallWaitingOnTheFhirServerAsInflight() throws Exception {
        ManagedRouteMBean route = proxyRoute();
        harness.fhir.setResponseDelay(Duration.ofMillis(1500));

        CompletableFuture<HttpResponse<String>> waiting = harness.http().sendAsync(HttpRequest.newBuilder(
                        URI.create(harness.baseUrl() + "/clinic/Patient?_count=1")).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(route.getExchangesInflight())
                .as("in flight while the server waits").isEqualTo(1));
        assertThat(waiting.get().statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(route.getExchangesInflight()).isZero());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "POST, /clinic/Patient, application/fhir+json, '{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Sized\"}]}'",
            "PUT, /clinic/Patient/sized-1, application/fhir+json, '{\"resourceType\":\"Patient\",\"id\":\"sized-1\"}'",
            "POST, /clinic, application/fhir+json, '{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[]}'",
            "POST, /clinic/Patient/_search, application/x-www-form-urlencoded, family=Sized&_count=5"})
    void theFhirServerSeesTheBodysLength_evenWhenTheCallerSentItChunked(String method, String path, String type,
            String body) throws Exception {
        harness.fhir.clearRequests();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> answer = harness.http().send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", type)
                .method(method, chunked(bytes)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isBetween(200, 299);
        RecordedRequest received = harness.fhir.requests().get(0);
        assertThat(received.header("Content-Length")).isEqualTo(Integer.toString(bytes.length));
        assertThat(received.hasHeader("Transfer-Encoding")).isFalse();
        assertThat(received.body()).isEqualTo(bytes);
    }

    /** A body without a declared length: java.net.http sends it chunked. */
    private static HttpRequest.BodyPublisher chunked(byte[] bytes) {
        HttpRequest.BodyPublisher sized = HttpRequest.BodyPublishers.ofByteArrays(List.of(bytes));
        return new HttpRequest.BodyPublisher() {
            @Override
            public long contentLength() {
                return -1;
            }

            @Override
            public void subscribe(Flow.Subscriber<? super java.nio.ByteBuffer> subscriber) {
                sized.subscribe(subscriber);
            }
        };
    }

    private static ManagedRouteMBean proxyRoute() {
        return harness.gateway().camelContext().getCamelContextExtension().getContextPlugin(ManagedCamelContext.class)
                .getManagedRoute("fhir-proxy");
    }
}
