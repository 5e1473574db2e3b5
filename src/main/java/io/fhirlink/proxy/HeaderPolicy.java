package io.fhirlink.proxy;

import io.fhirlink.config.CaseInsensitiveHeaders;
import java.util.Collections;
import java.util.Set;

/**
 * Which headers cross the gateway. Requests: an allow-list, so nothing the caller sends reaches the FHIR server
 * unless it is named here. Responses: everything end-to-end passes, minus the exclusions below.
 */
final class HeaderPolicy {

    private HeaderPolicy() {
    }

    /** Request headers forwarded upstream (compared ignoring case, without a lower-cased copy per header). */
    static final Set<String> FORWARDED_REQUEST_HEADERS = ignoringCase(
            "accept",
            "content-type",
            "if-match",
            "if-none-match",
            "if-none-exist",
            "if-modified-since",
            "if-unmodified-since",
            "prefer",
            // Azure FHIR's documented request headers
            "x-ms-profile-validation",
            "x-ms-conditional-delete-max-delete-count",
            "x-ms-use-partial-indices",
            "x-ms-query-latency-over-efficiency",
            "x-ms-enable-chained-search",
            "x-ms-bundle-processing-logic");
    // Not forwarded, on purpose: Authorization (the caller's token is for the gateway, the upstream gets its own),
    // Cookie (the gateway's, not the FHIR server's), Host and X-Forwarded-* (the upstream is addressed directly),
    // Accept-Encoding (bodies are rewritten, so they travel uncompressed), and hop-by-hop headers. X-Request-Id is
    // set by UpstreamRequest itself: the access log's id, which is the caller's when it is a valid one.

    /** Response headers never passed back (compared ignoring case). */
    private static final Set<String> DROPPED_RESPONSE_HEADERS = ignoringCase(
            // hop-by-hop (RFC 9110 7.6.1): they describe the upstream connection, not the answer
            "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade",
            // the length changes when URLs are rewritten; the gateway sets its own framing
            "content-length",
            // cookies of the FHIR server's domain mean nothing on the gateway's
            "set-cookie", "set-cookie2",
            // the gateway's own CORS and auth challenge rules apply, not the upstream's
            "www-authenticate", "access-control-allow-origin", "access-control-allow-credentials",
            "access-control-allow-headers", "access-control-allow-methods", "access-control-expose-headers",
            "access-control-max-age",
            "alt-svc", "server",
            // the FHIR server's own transport policy; on the gateway's host it would pin a policy nobody chose
            "strict-transport-security");

    static boolean forwardUpstream(String name) {
        return FORWARDED_REQUEST_HEADERS.contains(name);
    }

    static boolean passBack(String name) {
        return !DROPPED_RESPONSE_HEADERS.contains(name) && !name.regionMatches(true, 0, "camel", 0, 5)
                && !name.regionMatches(true, 0, "org.apache.camel", 0, 16);
    }

    /** A set of header names that {@code contains} any spelling of ({@code Content-Type}, {@code content-type}). */
    static Set<String> ignoringCase(String... names) {
        // the names of a headers map: one hashed look-up per header, where a sorted set compared names char by char
        CaseInsensitiveHeaders set = new CaseInsensitiveHeaders();
        for (String name : names) {
            set.put(name, Boolean.TRUE);
        }
        return Collections.unmodifiableSet(set.keySet());
    }
}
