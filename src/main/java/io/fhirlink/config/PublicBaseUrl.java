package io.fhirlink.config;

import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The gateway's own base URL as clients see it: {@code FHIRLINK_PUBLIC_BASE_URL} when set (always set it behind
 * a TLS-terminating load balancer), else {@code http://} and the request's Host header. {@code X-Forwarded-*}
 * headers are not trusted: any client can send them.
 */
public final class PublicBaseUrl {

    /** A Host header is echoed into bodies and headers: accept only what a host and port can be. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-]{1,253}(:\\d{1,5})?|\\[[0-9A-Fa-f:.]{2,45}\\](:\\d{1,5})?");

    private final Optional<String> configured;
    private final int httpPort;
    /** The last Host seen and its base URL: nearly every request names the same host. */
    private volatile String[] lastHost = {"", ""};

    public PublicBaseUrl(Settings settings) {
        this.configured = settings.publicBaseUrl().map(Object::toString);
        this.httpPort = settings.httpPort();
    }

    public String of(Exchange exchange) {
        if (configured.isPresent()) {
            return configured.get();
        }
        // platform-http filters Host out of the message headers: read it from the Vert.x request itself
        String host = exchange.getIn() instanceof HttpMessage http && http.getRequest().authority() != null
                ? http.getRequest().authority().toString() : null;
        String[] last = lastHost;
        if (host != null && host.equals(last[0])) {
            return last[1];
        }
        String base = "http://" + (host == null || !HOST.matcher(host).matches() ? "localhost:" + httpPort : host);
        if (host != null) {
            lastHost = new String[] {host, base};
        }
        return base;
    }
}
