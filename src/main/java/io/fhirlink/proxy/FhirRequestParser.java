package io.fhirlink.proxy;

import io.fhirlink.GatewayException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.camel.Exchange;

/**
 * First step of the proxy: reads the raw request URI (Vert.x normalises the path it routes on, so dot segments
 * must be caught in the raw form), refuses any path that could leave the link's base, and refuses the
 * interactions the platform does not offer through a link.
 */
public final class FhirRequestParser {

    /** The HTTP methods of FHIR's RESTful API. */
    static final Set<String> FHIR_METHODS = new LinkedHashSet<>(
            List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"));

    public void parse(Exchange exchange) {
        String uri = exchange.getMessage().getHeader(Exchange.HTTP_URI, String.class);
        String method = exchange.getMessage().getHeader(Exchange.HTTP_METHOD, String.class);
        exchange.setProperty(FhirRequest.PROPERTY, parse(uri, method));
    }

    FhirRequest parse(String rawUri, String method) {
        if (rawUri == null || !rawUri.startsWith("/")) {
            throw GatewayException.badRequest("The request URI is not a path.");
        }
        int q = rawUri.indexOf('?');
        String rawPath = q < 0 ? rawUri : rawUri.substring(0, q);
        String rawQuery = q < 0 ? null : rawUri.substring(q + 1);
        int slash = rawPath.indexOf('/', 1);
        String name = slash < 0 ? rawPath.substring(1) : rawPath.substring(1, slash);
        String path = slash < 0 ? "" : rawPath.substring(slash + 1);
        refuseEscapes(path);
        if (rawQuery != null && rawQuery.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw GatewayException.badRequest("The query string holds control characters.");
        }
        refuseUnsupported(path);
        String verb = method == null ? "GET" : method.toUpperCase(Locale.ROOT);
        if (!FHIR_METHODS.contains(verb)) {
            throw new GatewayException(405, "not-supported", "Method not allowed",
                    "FHIR does not use the HTTP method " + verb.replaceAll("[^A-Z]", "?") + ".")
                    .withHeader("Allow", String.join(", ", FHIR_METHODS));
        }
        return new FhirRequest(name.toLowerCase(Locale.ROOT), path, rawQuery == null || rawQuery.isEmpty() ? null : rawQuery,
                verb);
    }

    /**
     * {@link RequestGuard} refuses such paths before routing; checked again here with the same {@link PathSafety}
     * because the guard is installed on the router only once the routes have started.
     */
    private static void refuseEscapes(String rawPath) {
        if (rawPath.startsWith("/") || !PathSafety.isSafe(rawPath)) {
            throw pathRefused();
        }
    }

    private static void refuseUnsupported(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.equals(".well-known/smart-configuration") || lower.startsWith(".well-known/")) {
            throw notSupported("SMART on FHIR configuration is not available through a linked FHIR server; "
                    + "authenticate to the gateway with an Azure AD token instead.");
        }
        for (String segment : lower.split("/")) {
            if (segment.startsWith("$export") || segment.startsWith("%24export")) {
                throw notSupported("$export is not supported through a linked FHIR server; run the export on the "
                        + "Azure FHIR service directly.");
            }
        }
    }

    private static GatewayException pathRefused() {
        return new GatewayException(400, "invalid", "Bad request", PathSafety.REFUSED);
    }

    private static GatewayException notSupported(String detail) {
        return new GatewayException(501, "not-supported", "Not implemented", detail);
    }
}
