package io.fhirlink.support;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/** Reads {@code a=1&b=2}, a query string or a form body, as decoded pairs; a name without '=' has the value "". */
final class UrlEncodedPairs {

    private UrlEncodedPairs() {
    }

    /** Hands each pair to {@code pair} in order; null or empty input has none. */
    static void forEach(String encoded, BiConsumer<String, String> pair) {
        if (encoded == null) {
            return;
        }
        for (String item : encoded.split("&")) {
            if (item.isEmpty()) {
                continue;
            }
            int eq = item.indexOf('=');
            String name = eq < 0 ? item : item.substring(0, eq);
            String value = eq < 0 ? "" : item.substring(eq + 1);
            pair.accept(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
    }
}
