package io.fhirlink.ops;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LogCapture;
import io.fhirlink.support.OtlpReceiver;
import io.fhirlink.support.OtlpReceiver.ReceivedSpan;
import io.fhirlink.support.RecordedRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.spi.CamelTracingService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * W3C trace context across the hop (caller → fhir-link → FHIR server) and, with OTEL_EXPORTER_OTLP_ENDPOINT, Camel's
 * spans for the call at a stand-in OTLP/HTTP collector.
 */
class TracingTest {

    private static final String CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";
    private static final String CALLER_TRACEPARENT = "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01";
    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

    private static final LogCapture logs = new LogCapture();
    @RegisterExtension
    static final GatewayHarness untraced = GatewayHarness.forClass();

    @BeforeAll
    static void start() throws Exception {
        logs.attach();
        assertThat(untraced.register("plain").statusCode()).isEqualTo(201);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            untraced.close();
        } finally {
            logs.detach();
        }
    }

    @Test
    void callersTraceparent_reachesTheFhirServerInTheSameTrace_andTheAccessLog() throws Exception {
        untraced.fhir.clearRequests();

        HttpResponse<String> answer = untraced.send("GET", "/plain/Patient", untraced.token(TENANT), null,
                "traceparent", CALLER_TRACEPARENT, "tracestate", "congo=t61rcWkgMzE", "X-Request-Id", "traced-1");

        assertThat(answer.statusCode()).isEqualTo(200);
        Matcher upstream = upstreamTraceparent(untraced.fhir.requests());
        assertThat(upstream.group(1)).isEqualTo(CALLER_TRACE);
        // no span of the gateway's is recorded: the call has a span id of its own, not the caller's
        assertThat(upstream.group(2)).isNotEqualTo(CALLER_SPAN).isNotEqualTo("0000000000000000");
        assertThat(upstream.group(3)).isEqualTo("01");
        assertThat(untraced.fhir.requests().get(0).header("tracestate")).isEqualTo("congo=t61rcWkgMzE");
        assertThat(accessLine("requestId=traced-1")).contains("traceId=" + CALLER_TRACE);
    }

    @Test
    void invalidOrMissingTraceparent_startsANewTrace_withoutTheCallersTracestate() throws Exception {
        for (String sent : new String[] {"00-" + CALLER_TRACE.toUpperCase() + "-" + CALLER_SPAN + "-01",
                "00-00000000000000000000000000000000-" + CALLER_SPAN + "-01", "garbage", null}) {
            untraced.fhir.clearRequests();
            String requestId = "new-trace-" + (sent == null ? "none" : Integer.toHexString(sent.hashCode()));
            HttpResponse<String> answer = sent == null
                    ? untraced.send("GET", "/plain/Patient", untraced.token(TENANT), null, "X-Request-Id", requestId)
                    : untraced.send("GET", "/plain/Patient", untraced.token(TENANT), null, "X-Request-Id", requestId,
                            "traceparent", sent, "tracestate", "congo=t61rcWkgMzE");

            assertThat(answer.statusCode()).isEqualTo(200);
            Matcher upstream = upstreamTraceparent(untraced.fhir.requests());
            assertThat(upstream.group(1)).as("trace id sent for %s", sent)
                    .isNotEqualTo(CALLER_TRACE).isNotEqualTo("0".repeat(32));
            assertThat(untraced.fhir.requests().get(0).hasHeader("tracestate")).isFalse();
            assertThat(accessLine("requestId=" + requestId)).contains("traceId=" + upstream.group(1));
        }
    }

    @Test
    void withoutAnOtlpEndpoint_noTracerIsInstalled() {
        assertThat(untraced.gateway().camelContext().hasService(CamelTracingService.class)).isNull();
        assertThat(untraced.gateway().camelContext().getRoutePolicyFactories())
                .noneMatch(f -> f instanceof CamelTracingService);
    }

    @Test
    void withAnOtlpEndpoint_theCallsSpansArriveWithTheirRouteIds_andEndWhenTheAnswerIsWritten() throws Exception {
        try (OtlpReceiver collector = OtlpReceiver.start();
                GatewayHarness h = GatewayHarness.start(Map.of(
                        "OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint(),
                        "OTEL_SERVICE_NAME", "fhir-link-under-test",
                        "OTEL_BSP_SCHEDULE_DELAY", "100"))) {
            assertThat(h.register("traced").statusCode()).isEqualTo(201);
            h.fhir.clearRequests();
            h.fhir.setResponseDelay(Duration.ofMillis(400));

            HttpResponse<String> answer = h.send("GET", "/traced/Patient?family=Smith", h.token(TENANT), null,
                    "traceparent", CALLER_TRACEPARENT, "tracestate", "congo=t61rcWkgMzE");
            h.fhir.setResponseDelay(Duration.ZERO);

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue("traceparent")).as("no trace header on the answer").isEmpty();
            ReceivedSpan proxy = awaitSpan(collector, CALLER_TRACE, received("fhir-proxy"));
            ReceivedSpan forward = awaitSpan(collector, CALLER_TRACE, received("forward-upstream"));

            assertThat(proxy.parentSpanId()).isEqualTo(CALLER_SPAN);
            assertThat(proxy.resource()).containsEntry("service.name", "fhir-link-under-test");
            // the FHIR server's parent is the gateway's own span around the call
            RecordedRequest atServer = h.fhir.requests().get(0);
            Matcher upstream = upstreamTraceparent(List.of(atServer));
            assertThat(upstream.group(1)).isEqualTo(CALLER_TRACE);
            assertThat(upstream.group(2)).isEqualTo(forward.spanId());
            assertThat(atServer.header("tracestate")).isEqualTo("congo=t61rcWkgMzE");
            assertThat(atServer.hasHeader("baggage")).isFalse();
            // the route is asynchronous: its span lasts until the answer is written, the slow upstream included
            assertThat(proxy.endNanos()).isGreaterThanOrEqualTo(forward.endNanos());
            assertThat(proxy.endNanos() - proxy.startNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(400).toNanos());
            assertThat(forward.endNanos() - forward.startNanos()).isGreaterThanOrEqualTo(Duration.ofMillis(400).toNanos());
            // the hooks are part of the steps that call them: no spans of their own
            assertThat(collector.spansOf(CALLER_TRACE)).extracting(ReceivedSpan::name)
                    .noneMatch(n -> n.startsWith("fhir-before"));
            // like the access log, spans name query parameters, never their values (health data)
            assertThat(proxy.attribute("http.url")).endsWith("/traced/Patient?family");
            assertThat(collector.spansOf(CALLER_TRACE)).allSatisfy(s -> assertThat(s.attributes().values())
                    .noneMatch(v -> v.contains("Smith")));
            // the management API is traced too
            assertThat(collector.spans()).anyMatch(received("register-link"));
            assertThat(collector.contentTypes()).allMatch(t -> t.startsWith("application/x-protobuf"));
        }
    }

    private static Predicate<ReceivedSpan> received(String routeId) {
        return s -> routeId.equals(s.attribute(RouteSpans.ROUTE_ID)) && "EVENT_RECEIVED".equals(s.attribute("op"));
    }

    private static ReceivedSpan awaitSpan(OtlpReceiver collector, String traceId, Predicate<ReceivedSpan> which) {
        return await().alias("span of trace " + traceId + " exported").atMost(Duration.ofSeconds(15))
                .until(() -> collector.spansOf(traceId).stream().filter(which).findFirst(), Optional::isPresent).get();
    }

    private static Matcher upstreamTraceparent(List<RecordedRequest> requests) {
        assertThat(requests).hasSize(1);
        String header = requests.get(0).header("traceparent");
        assertThat(header).as("traceparent at the FHIR server").isNotNull();
        Matcher m = TRACEPARENT.matcher(header);
        assertThat(m.matches()).as("well-formed traceparent: %s", header).isTrue();
        return m;
    }

    private static String accessLine(String containing) {
        return await().alias("access line with " + containing).atMost(Duration.ofSeconds(5))
                .until(() -> logs.lines().stream()
                        .filter(l -> l.startsWith("io.fhirlink.access") && l.contains(containing)).findFirst(),
                        Optional::isPresent).get();
    }
}
