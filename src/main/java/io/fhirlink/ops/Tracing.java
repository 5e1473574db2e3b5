package io.fhirlink.ops;

import io.fhirlink.config.Settings;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry for Camel's own tracer (camel-opentelemetry2): with OTEL_EXPORTER_OTLP_ENDPOINT set, an SDK that
 * exports spans over OTLP/HTTP (protobuf), configured by OpenTelemetry's own OTEL_* variables, service name
 * OTEL_SERVICE_NAME (default fhir-link). Without it there is no SDK, no tracer and no span: decided once, at start.
 */
public final class Tracing implements AutoCloseable {

    /**
     * The operator hooks ({@code direct:fhir-before-upstream}, {@code direct:fhir-before-answer}) are part of the step
     * that calls them: no span of their own (a missing hook costs no span), and no traceparent written over the
     * forward-upstream span's on the way to the FHIR server, or onto the caller's answer.
     */
    public static final String UNTRACED_ENDPOINTS = "direct:fhir-before-*";

    private final OpenTelemetrySdk sdk;

    private Tracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
    }

    /** The SDK when spans are to be exported, else empty (and nothing of OpenTelemetry is touched). */
    public static Optional<Tracing> start(Settings settings) {
        if (!settings.tracing()) {
            return Optional.empty();
        }
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(Tracing::defaults)
                .addPropertiesCustomizer(config -> otelProperties(settings))
                .disableShutdownHook() // closed with the gateway, after the routes have stopped
                .build()
                .getOpenTelemetrySdk();
        LoggerFactory.getLogger(Tracing.class).info("OpenTelemetry spans are exported to {} as service {}",
                settings.otlpEndpoint().get(), settings.otelServiceName());
        return Optional.of(new Tracing(sdk));
    }

    /** What fhir-link exports unless an OTEL_* variable says otherwise: traces only, OTLP over HTTP. */
    private static Map<String, String> defaults() {
        return Map.of(
                "otel.traces.exporter", "otlp",
                "otel.exporter.otlp.protocol", "http/protobuf",
                "otel.metrics.exporter", "none",
                "otel.logs.exporter", "none");
    }

    /** The OTEL_* variables the gateway was given (tests pass them without a process environment). */
    static Map<String, String> otelProperties(Settings settings) {
        Map<String, String> properties = new HashMap<>();
        settings.otelVariables().forEach((name, value) ->
                properties.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value));
        properties.put("otel.service.name", settings.otelServiceName());
        return properties;
    }

    /** The tracer Camel's OpenTelemetryTracer looks up in the registry. */
    public Tracer tracer() {
        return sdk.getTracer("camel");
    }

    /**
     * W3C trace context alone: the SDK's default also propagates baggage, and Camel's tracer keeps a flag of its own
     * in the baggage that must not reach the FHIR server.
     */
    public ContextPropagators propagators() {
        return ContextPropagators.create(W3CTraceContextPropagator.getInstance());
    }

    /** Camel's tracer on, for every route, the hooks left out. */
    public static Map<String, String> camelProperties() {
        return Map.of(
                "camel.opentelemetry2.enabled", "true",
                "camel.opentelemetry2.excludePatterns", UNTRACED_ENDPOINTS);
    }

    /** Exports what is left and stops. */
    @Override
    public void close() {
        sdk.shutdown().join(10, TimeUnit.SECONDS);
    }
}
