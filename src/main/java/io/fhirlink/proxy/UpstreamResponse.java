package io.fhirlink.proxy;

import io.fhirlink.config.ExchangeKeys;
import io.fhirlink.config.PublicBaseUrl;
import io.fhirlink.links.Link;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Shapes the FHIR server's answer for the caller: status and end-to-end headers kept, upstream URLs in
 * {@code Location}, {@code Content-Location} and the body rewritten to the gateway's (a streamed body as it passes).
 */
public final class UpstreamResponse {

    private final PublicBaseUrl publicBaseUrl;
    /** The rewrite of the last call's link and public base: nearly every call repeats it. */
    private volatile Rewrite last = new Rewrite("", "", "", "", null);

    /** A link's upstream base, seen through one public base, and its rewrite to the gateway's. */
    private record Rewrite(String upstreamBase, String publicBase, String displayName, String gatewayBase,
            UrlRewriter.Pattern pattern) {
        boolean isFor(String upstream, String base, String name) {
            return upstreamBase.equals(upstream) && publicBase.equals(base) && displayName.equals(name);
        }
    }

    public UpstreamResponse(PublicBaseUrl publicBaseUrl) {
        this.publicBaseUrl = publicBaseUrl;
    }

    public void prepare(Exchange exchange) {
        Message message = exchange.getMessage();
        Link link = exchange.getProperty(Link.PROPERTY, Link.class);
        String upstreamBase = link.endpoint();
        Rewrite rewrite = rewriteFor(upstreamBase, publicBaseUrl.of(exchange), link.displayName());
        String gatewayBase = rewrite.gatewayBase();

        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        // headers the FHIR server names in Connection are hop-by-hop too (RFC 9110 7.6.1)
        Object connection = message.getHeader("Connection");
        if (connection != null) {
            for (Object value : connection instanceof List<?> values ? values : List.of(connection)) {
                for (String named : value.toString().split(",")) {
                    message.removeHeader(named.trim());
                }
            }
        }
        List<String> names = new ArrayList<>(message.getHeaders().keySet());
        for (String name : names) {
            if (!HeaderPolicy.passBack(name)) {
                message.removeHeader(name);
            } else if (name.equalsIgnoreCase("location") || name.equalsIgnoreCase("content-location")) {
                String value = message.getHeader(name, String.class);
                if (value != null && startsWithBase(value, upstreamBase)) {
                    message.setHeader(name, gatewayBase + value.substring(upstreamBase.length()));
                }
            }
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.setProperty(ExchangeKeys.UPSTREAM_STATUS, status);
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        if (requestId != null && message.getHeader("X-Request-Id") == null) {
            message.setHeader("X-Request-Id", requestId);
        }

        if (isText(message.getHeader(Exchange.CONTENT_TYPE, String.class))) {
            if (message.getBody() instanceof byte[] whole) {
                message.setBody(rewrite.pattern().rewrite(whole));
            } else if (message.getBody() instanceof StreamedAnswer streamed) {
                streamed.rewriteWith(rewrite.pattern().streaming());
            }
        }
    }

    private Rewrite rewriteFor(String upstreamBase, String publicBase, String displayName) {
        Rewrite known = last;
        if (known.isFor(upstreamBase, publicBase, displayName)) {
            return known;
        }
        String gatewayBase = publicBase + "/" + displayName;
        Rewrite made = new Rewrite(upstreamBase, publicBase, displayName, gatewayBase, new UrlRewriter.Pattern(
                upstreamBase.getBytes(StandardCharsets.UTF_8), gatewayBase.getBytes(StandardCharsets.UTF_8)));
        last = made;
        return made;
    }

    /** The URL is on the base itself, not on a host or port that merely begins the same ({@code :4446} vs {@code :44460}). */
    static boolean startsWithBase(String url, String base) {
        return url.startsWith(base) && (url.length() == base.length() || "/?#".indexOf(url.charAt(base.length())) >= 0);
    }

    static boolean isText(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.toLowerCase(Locale.ROOT);
        return type.contains("json") || type.contains("xml") || type.startsWith("text/");
    }
}
