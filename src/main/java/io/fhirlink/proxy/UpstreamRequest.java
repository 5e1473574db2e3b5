package io.fhirlink.proxy;

import io.fhirlink.Link;
import io.fhirlink.auth.UpstreamTokens;
import io.fhirlink.auth.UpstreamTokens.AccessToken;
import io.fhirlink.ops.RequestLog;
import java.io.Closeable;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.http.HttpMethods;

/**
 * Shapes the message that camel-http sends to the linked FHIR server: the link's Azure token, the method, the
 * path after the display name, the raw query, the body, and only the allow-listed headers
 * ({@link HeaderPolicy}). Also owns the one retry after the FHIR server rejects a token.
 */
public final class UpstreamRequest {

    /** Exchange property with the upstream base URL the route's {@code toD} sends to. */
    public static final String UPSTREAM_BASE = "upstreamBase";
    /** Exchange property with the caller's allow-listed headers, kept for a retry. */
    private static final String FORWARDED_HEADERS = "fhirlink.forwardedHeaders";
    /** Exchange property with the caller's body, kept for a retry (the message body becomes the first answer). */
    private static final String REQUEST_BODY = "fhirlink.requestBody";
    /**
     * Exchange property: whether the request carried an Azure token (the capability read does not). The route's
     * retry reads it: {@code ${header.CamelHttpResponseCode} == 401 && ${exchangeProperty.tokenSent}}.
     */
    private static final String TOKEN_SENT = "tokenSent";

    private final UpstreamTokens tokens;

    public UpstreamRequest(UpstreamTokens tokens) {
        this.tokens = tokens;
    }

    /** Route step: the upstream request: method, path, raw query, body and the allow-listed headers. */
    public void prepare(Exchange exchange) {
        Message message = exchange.getMessage();
        Link link = exchange.getProperty(Link.PROPERTY, Link.class);

        Map<String, Object> forwarded = new HashMap<>();
        message.getHeaders().forEach((name, value) -> {
            if (HeaderPolicy.forwardUpstream(name)) {
                forwarded.put(name, value);
            }
        });
        // the request id the access log uses (the caller's, or a new one): the FHIR server's logs can be joined
        String requestId = exchange.getProperty(RequestLog.REQUEST_ID, String.class);
        if (requestId != null) {
            forwarded.put("X-Request-Id", requestId);
        }
        exchange.setProperty(FORWARDED_HEADERS, forwarded);
        exchange.setProperty(REQUEST_BODY, message.getBody());
        exchange.setProperty(UPSTREAM_BASE, link.endpoint());
        setHeaders(exchange);
    }

    /**
     * Route step: the link's Azure token, from the cache or from one token request however many callers wait. The
     * CapabilityStatement is anonymous on Azure: reading it needs no token, so it works even while the link's
     * credentials are broken.
     */
    public void attachToken(Exchange exchange) {
        FhirRequest request = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class);
        AccessToken token = request.isCapabilityStatement() ? null
                : tokens.tokenFor(exchange.getProperty(Link.PROPERTY, Link.class));
        if (token != null) {
            exchange.getMessage().setHeader("Authorization", "Bearer " + token.value());
        }
        exchange.setProperty(TOKEN_SENT, token != null);
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
        FhirRequest request = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class);
        Map<String, Object> forwarded = exchange.getProperty(FORWARDED_HEADERS, Map.class);
        message.getHeaders().clear();
        message.getHeaders().putAll(forwarded);
        Object contentType = forwarded.entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase("content-type")).map(Map.Entry::getValue).findFirst().orElse(null);
        if (contentType instanceof List<?> values) {
            // a repeated Content-Type is ambiguous; the first one is what most servers would read
            contentType = values.isEmpty() ? null : values.get(0);
        }
        if (contentType != null) {
            message.setHeader(Exchange.CONTENT_TYPE, contentType.toString());
        }
        // the enum camel-http wants: a String would be converted through a registry scan on every request
        message.setHeader(Exchange.HTTP_METHOD, HttpMethods.valueOf(request.method()));
        message.setHeader(Exchange.HTTP_PATH, request.path());
        if (request.rawQuery() != null) {
            message.setHeader(Exchange.HTTP_RAW_QUERY, request.rawQuery());
            message.setHeader(Exchange.HTTP_QUERY, request.rawQuery());
        }
    }
}
