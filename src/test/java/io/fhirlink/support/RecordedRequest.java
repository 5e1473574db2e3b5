package io.fhirlink.support;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One request exactly as the FHIR stand-in received it, so tests can check what the gateway sent
 * upstream (path, query untouched, which headers were forwarded or stripped, the body bytes).
 *
 * @param method  HTTP method
 * @param path    request path, e.g. {@code /Patient/123} (the FHIR base is the root)
 * @param rawQuery query string as received, still percent-encoded, or null
 * @param headers every header; the map is case-insensitive on names
 * @param body    the body bytes, empty when none
 */
public record RecordedRequest(String method, String path, String rawQuery, Map<String, List<String>> headers, byte[] body) {

    /** First value of a header (any case), or null. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** All values of a header (any case); empty when absent. */
    public List<String> headers(String name) {
        return headers.getOrDefault(name, List.of());
    }

    public boolean hasHeader(String name) {
        return headers.containsKey(name);
    }

    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Path plus {@code ?query} when there is one: what a proxy must have forwarded verbatim. */
    public String pathAndQuery() {
        return rawQuery == null ? path : path + "?" + rawQuery;
    }

    @Override
    public String toString() {
        return method + " " + pathAndQuery() + " (" + body.length + " body bytes)";
    }
}
