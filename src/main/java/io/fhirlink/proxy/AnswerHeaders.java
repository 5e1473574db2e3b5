package io.fhirlink.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.Locale;

/**
 * How a header of the route's message goes onto the caller's response. {@code Vary} is merged rather than replaced:
 * handlers in front of every route ({@link BrowserCors}, {@link AnswerCompression}) add to it before or after the
 * route sets the FHIR server's, and a cache must see all of them.
 */
final class AnswerHeaders {

    private AnswerHeaders() {
    }

    static void put(HttpServerResponse response, String name, Object value) {
        if (value == null) {
            return;
        }
        List<String> values = value instanceof List<?> list ? list.stream().map(String::valueOf).toList()
                : List.of(value.toString());
        if ("vary".equalsIgnoreCase(name)) {
            values.forEach(v -> addVary(response.headers(), v));
        } else if (values.size() == 1) {
            response.putHeader(name, values.get(0));
        } else {
            response.putHeader(name, values);
        }
    }

    /** Adds each token of {@code tokens} (comma-separated) to the response's single Vary header, once. */
    static void addVary(MultiMap headers, String tokens) {
        String current = headers.get("Vary");
        StringBuilder merged = new StringBuilder(current == null ? "" : current.trim());
        for (String token : tokens.split(",")) {
            String t = token.trim();
            if (!t.isEmpty() && !hasToken(merged.toString(), t)) {
                merged.append(merged.length() == 0 ? "" : ", ").append(t);
            }
        }
        if (merged.length() > 0) {
            headers.set("Vary", merged.toString());
        }
    }

    private static boolean hasToken(String vary, String token) {
        for (String existing : vary.split(",")) {
            String e = existing.trim().toLowerCase(Locale.ROOT);
            if (e.equals("*") || e.equals(token.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }
}
