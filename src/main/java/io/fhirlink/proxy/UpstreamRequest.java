package io.fhirlink.proxy;

import io.fhirlink.auth.LinkAccess;
import io.fhirlink.auth.UpstreamTokens.AccessToken;
import io.fhirlink.auth.UpstreamTokens;
import io.fhirlink.config.ExchangeKeys;
import io.fhirlink.fhir.FhirRequest;
import io.fhirlink.links.Link;
import io.fhirlink.ops.TraceContext;
import java.io.Closeable;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Shapes the message that {@link UpstreamForwarder} sends to the linked FHIR server: the link's Azure token, the body,
 * and only the allow-listed headers ({@link HeaderPolicy}); the method, path and raw query come from the parsed
 * {@link FhirRequest}. Also owns the one retry after the FHIR server rejects a token.
 */
public final class UpstreamRequest {

    /** Exchange property with the upstream base URL the registration probe's {@code toD} sends to. */
    public static final String UPSTREAM_BASE = "upstreamBase";
    /** Exchange property with the caller's allow-listed headers, kept for a retry. */
    private static final String FORWARDED_HEADERS = "fhirlink.forwardedHeaders";
    /** Exchange property with the caller's body, kept for a retry (the message body becomes the first answer). */
    private static final String REQUEST_BODY = "fhirlink.requestBody";
    /**
     * Exchange property: whether the request carried an Azure token (the capability read does not). The route's
     * retry reads it: {@code ${header.CamelHttpResponseCode} == 401 && ${exchangeProperty.tokenSent}}.
     */
    private static final String TOKEN_SENT = ExchangeKeys.TOKEN_SENT;

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final UpstreamTokens tokens;
    private final boolean tracerInjects;

    /**
     * @param tracerInjects whether Camel's tracer records spans: it then writes traceparent and tracestate itself, its
     *                      forward-upstream span as the parent, when the route calls that route
     */
    public UpstreamRequest(UpstreamTokens tokens, boolean tracerInjects) {
        this.tokens = tokens;
        this.tracerInjects = tracerInjects;
    }

    /** Route step: the upstream request's body and allow-listed headers. */
    public void prepare(Exchange exchange) {
        Message message = exchange.getMessage();

        Map<String, Object> forwarded = new HashMap<>();
        message.getHeaders().forEach((name, value) -> {
            if (HeaderPolicy.forwardUpstream(name)) {
                forwarded.put(name, value);
            }
        });
        // the request id the access log uses (the caller's, or a new one): the FHIR server's logs can be joined
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        if (requestId != null) {
            forwarded.put("X-Request-Id", requestId);
        }
        TraceContext trace = exchange.getProperty(TraceContext.PROPERTY, TraceContext.class);
        if (trace != null && !tracerInjects) {
            // no span of the gateway's is recorded: the call gets a span id of its own, so the FHIR server's span is
            // a child of the caller's trace, never a sibling posing as the caller's span
            forwarded.put("traceparent", trace.traceparentFor(TraceContext.newSpanId()));
            if (trace.traceState() != null) {
                forwarded.put("tracestate", trace.traceState());
            }
        }
        exchange.setProperty(FORWARDED_HEADERS, forwarded);
        if (message.getBody() != null) {
            // a read has none: one exchange property fewer (past a dozen, the exchange's property map grows)
            exchange.setProperty(REQUEST_BODY, message.getBody());
        }
        setHeaders(exchange);
    }

    /**
     * Route step: the link's Azure token, from the cache or from one token request however many callers wait; none
     * for the anonymous reads of {@link LinkAccess}.
     */
    public CompletionStage<Void> attachToken(Exchange exchange) {
        FhirRequest request = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class);
        if (LinkAccess.isAnonymous(request)) {
            exchange.setProperty(TOKEN_SENT, false);
            return DONE;
        }
        CompletableFuture<AccessToken> token = tokens.tokenFor(exchange.getProperty(Link.PROPERTY, Link.class));
        if (token.isDone() && !token.isCompletedExceptionally()) {
            attach(exchange, token.join()); // the warm path: no future chained, nothing scheduled
            return DONE;
        }
        return token.thenAccept(t -> attach(exchange, t));
    }

    private static void attach(Exchange exchange, AccessToken token) {
        exchange.getMessage().setHeader("Authorization", "Bearer " + token.value());
        exchange.setProperty(TOKEN_SENT, true);
    }

    /**
     * Route step after a 401 from the FHIR server: drop the cached token, release the first answer's connection and
     * set the request up again; the route then attaches a new token and sends it once more.
     */
    public void renewToken(Exchange exchange) {
        Link link = exchange.getProperty(Link.PROPERTY, Link.class);
        tokens.forget(link);
        Object body = exchange.getMessage().getBody();
        if (body instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException ignored) {
                // the connection is discarded by the pool either way
            }
        }
        exchange.getMessage().setBody(exchange.getProperty(REQUEST_BODY));
        setHeaders(exchange);
    }

    @SuppressWarnings("unchecked")
    private static void setHeaders(Exchange exchange) {
        Message message = exchange.getMessage();
        Map<String, Object> forwarded = exchange.getProperty(FORWARDED_HEADERS, Map.class);
        message.getHeaders().clear();
        message.getHeaders().putAll(forwarded);
        Object contentType = null;
        for (Map.Entry<String, Object> header : forwarded.entrySet()) {
            if (header.getKey().equalsIgnoreCase("content-type")) {
                contentType = header.getValue();
                break;
            }
        }
        if (contentType instanceof List<?> values) {
            // a repeated Content-Type is ambiguous; the first one is what most servers would read
            contentType = values.isEmpty() ? null : values.get(0);
        }
        if (contentType != null) {
            message.setHeader(Exchange.CONTENT_TYPE, contentType.toString());
        }
    }
}
