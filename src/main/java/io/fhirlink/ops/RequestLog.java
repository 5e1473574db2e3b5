package io.fhirlink.ops;

import io.fhirlink.auth.Caller;
import io.fhirlink.config.ExchangeKeys;
import io.fhirlink.fhir.FhirRequest;
import io.fhirlink.links.Link;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first step of every route that serves a request: takes the caller's {@code X-Request-Id} (or makes one) and
 * W3C trace context ({@link TraceContext}: the caller's {@code traceparent}, or a new trace), and
 * once the answer has been written, logs one access line and counts the request. Access lines carry the path and
 * the names of query parameters, never their values (a search like {@code family=Smith} is health data). A proxied
 * call's outcome also goes to {@link LinkHealth}.
 */
public final class RequestLog {


    private static final Logger ACCESS = LoggerFactory.getLogger("io.fhirlink.access");
    private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");

    private final TrafficStats traffic;
    private final LinkHealth health;

    public RequestLog(TrafficStats traffic, LinkHealth health) {
        this.traffic = traffic;
        this.health = health;
    }

    /** Route step for FHIR paths. */
    public void beginFhir(Exchange exchange) {
        begin(exchange, true);
    }

    /** Route step for the management API. */
    public void beginManagement(Exchange exchange) {
        begin(exchange, false);
    }

    private void begin(Exchange exchange, boolean fhir) {
        String requestId = exchange.getMessage().getHeader("X-Request-Id", String.class);
        if (requestId == null || !SAFE_REQUEST_ID.matcher(requestId).matches()) {
            requestId = newRequestId();
        }
        exchange.setProperty(ExchangeKeys.REQUEST_ID, requestId);
        // with tracing on, Camel has already replaced the caller's traceparent by its own span's, in the same trace
        TraceContext trace = TraceContext.fromHeaders(exchange.getMessage().getHeader("traceparent"),
                exchange.getMessage().getHeader("tracestate"));
        exchange.setProperty(TraceContext.PROPERTY, trace);
        long started = System.nanoTime();
        String method = exchange.getMessage().getHeader(Exchange.HTTP_METHOD, String.class);
        String rawUri = exchange.getMessage().getHeader(Exchange.HTTP_URI, String.class);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                finish(done, fhir, method, rawUri, System.nanoTime() - started);
            }
        });
    }

    private void finish(Exchange exchange, boolean fhir, String method, String rawUri, long nanos) {
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        int code = status == null ? (exchange.isFailed() ? 500 : 200) : status;
        Integer upstream = exchange.getProperty(ExchangeKeys.UPSTREAM_STATUS, Integer.class);
        String failure = exchange.getProperty(ExchangeKeys.FAILURE, String.class);
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        FhirRequest request = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class);
        Link link = exchange.getProperty(Link.PROPERTY, Link.class);
        String linkName = link != null ? link.displayName() : request != null ? request.displayName() : "-";
        TraceContext trace = exchange.getProperty(TraceContext.PROPERTY, TraceContext.class);
        if (ACCESS.isInfoEnabled()) {
            // one line appended in place: a format string's placeholders would be parsed again on every request
            StringBuilder line = new StringBuilder(256)
                    .append("requestId=").append(exchange.getProperty(ExchangeKeys.REQUEST_ID))
                    .append(" traceId=").append(trace == null ? "-" : trace.traceId())
                    .append(" api=").append(fhir ? "fhir" : "management")
                    .append(" link=").append(fhir ? linkName : "-")
                    .append(" method=").append(method)
                    .append(" path=").append(pathWithoutValues(rawUri))
                    .append(" status=").append(code)
                    .append(" upstream=").append(upstream == null ? "-" : upstream)
                    .append(" failure=").append(failure == null ? "-" : failure)
                    .append(" durationMs=").append(nanos / 1_000_000)
                    .append(" organization=").append(caller == null ? "-" : caller.organization());
            ACCESS.info(line.toString());
        }
        if (fhir && link != null) {
            traffic.record(link.displayName(), code, failure, nanos);
            health.exchangeCompleted(link, code, upstream, Boolean.TRUE.equals(exchange.getProperty(ExchangeKeys.TOKEN_SENT, Boolean.class)),
                    failure, exchange.getProperty(ExchangeKeys.FAILURE_DETAIL, String.class));
        }
    }

    /**
     * A random UUID-shaped id. Request ids must be unique, not unguessable: {@code UUID.randomUUID()} draws from
     * SecureRandom, a shared lock on every request.
     */
    static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = random.nextLong() & ~0xF000L | 0x4000L; // version 4
        long low = random.nextLong() & ~(3L << 62) | (1L << 63); // IETF variant
        return new UUID(high, low).toString();
    }

    /** {@code /clinic/Patient?family=Smith&_count=10} → {@code /clinic/Patient?family&_count}. */
    static String pathWithoutValues(String rawUri) {
        if (rawUri == null) {
            return "-";
        }
        int q = rawUri.indexOf('?');
        String path = q < 0 ? rawUri : rawUri.substring(0, q);
        if (path.length() > 512) {
            path = path.substring(0, 512) + "...";
        }
        StringBuilder line = new StringBuilder(path.length() + 32);
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            line.append(c > 0x20 && c < 0x7f ? c : '?'); // no control characters or spaces in a log line
        }
        if (q < 0) {
            return line.toString();
        }
        line.append('?');
        int names = 0;
        boolean inName = true;
        for (int i = q + 1; i < rawUri.length() && names < 20; i++) {
            char c = rawUri.charAt(i);
            if (c == '&') {
                line.append('&');
                inName = true;
                names++;
            } else if (c == '=') {
                inName = false;
            } else if (inName && (Character.isLetterOrDigit(c) && c < 0x7f || c == '_' || c == ':' || c == '.' || c == '-')) {
                line.append(c);
            }
        }
        return line.toString();
    }
}
