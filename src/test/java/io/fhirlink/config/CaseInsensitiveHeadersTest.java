package io.fhirlink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ConcurrentModificationException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.util.CaseInsensitiveMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The headers map behaves as Camel's own case-insensitive map does, but for keeping insertion order. */
@Tag("unit")
class CaseInsensitiveHeadersTest {

    @Test
    void namesIgnoreCase_keepTheFirstSpelling_andInsertionOrder() {
        CaseInsensitiveHeaders headers = new CaseInsensitiveHeaders();
        headers.put("Content-Type", "application/fhir+json");
        headers.put("ETag", "W/\"1\"");
        headers.put("content-type", "application/json");
        headers.put("X-Empty", null);

        assertThat(headers.get("CONTENT-TYPE")).isEqualTo("application/json");
        assertThat(headers.containsKey("x-empty")).isTrue();
        assertThat(headers.get("x-empty")).isNull();
        assertThat(headers.keySet()).containsExactly("Content-Type", "ETag", "X-Empty");
        assertThat(headers.keySet().contains("etag")).isTrue();
        assertThat(headers.keySet().remove("ETAG")).isTrue();
        assertThat(headers).containsOnlyKeys("Content-Type", "X-Empty");
        assertThat(headers.get(42)).isNull();
        assertThatThrownBy(() -> headers.put(null, "x")).isInstanceOf(NullPointerException.class);
    }

    @Test
    void iteratorRemove_dropsTheEntryReturned_andLaterChangesAreCaught() {
        CaseInsensitiveHeaders headers = new CaseInsensitiveHeaders();
        for (int i = 0; i < 40; i++) {
            headers.put("CamelHeader" + i, i);
            headers.put("Keep" + i, i);
        }
        headers.entrySet().removeIf(e -> e.getKey().startsWith("Camel"));
        assertThat(headers).hasSize(40).containsEntry("KEEP39", 39).doesNotContainKey("camelheader0");

        Iterator<String> names = headers.keySet().iterator();
        names.next();
        headers.put("New", 1);
        assertThatThrownBy(names::next).isInstanceOf(ConcurrentModificationException.class);
        assertThatThrownBy(() -> headers.keySet().iterator().remove()).isInstanceOf(IllegalStateException.class);
    }

    /** Ten thousand random operations on names of mixed case, side by side with Camel's map. */
    @Test
    void randomOperations_matchCamelsMap() {
        Random random = new Random(20261202);
        List<String> names = List.of("Accept", "Authorization", "CamelHttpUri", "CamelHttpMethod", "Content-Type",
                "ETag", "If-Match", "Prefer", "X-Request-Id", "traceparent", "Ünïcode-Ä", "a", "B");
        CaseInsensitiveHeaders ours = new CaseInsensitiveHeaders();
        Map<String, Object> camels = new CaseInsensitiveMap();
        for (int i = 0; i < 10_000; i++) {
            String name = randomCase(names.get(random.nextInt(names.size())), random);
            switch (random.nextInt(6)) {
                case 0, 1 -> assertThat(ours.put(name, i % 7 == 0 ? null : i)).isEqualTo(camels.put(name, i % 7 == 0 ? null : i));
                case 2 -> assertThat(ours.remove(name)).isEqualTo(camels.remove(name));
                case 3 -> assertThat(ours.keySet().remove(name)).isEqualTo(camels.keySet().remove(name));
                case 4 -> {
                    ours.entrySet().removeIf(e -> e.getKey().length() % 3 == 0);
                    camels.entrySet().removeIf(e -> e.getKey().length() % 3 == 0);
                }
                default -> assertThat(ours.get(name)).isEqualTo(camels.get(name));
            }
            assertThat(ours.containsKey(name)).isEqualTo(camels.containsKey(name));
            assertThat(new HashMap<>(ours)).isEqualTo(new HashMap<>(camels));
        }
        assertThat(new CaseInsensitiveHeaders(camels)).isEqualTo(camels);
    }

    @Test
    void camelUsesItForEveryMessage() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            Exchange exchange = new DefaultExchange(camel);
            exchange.getMessage().setHeader("Content-Type", "text/plain");
            assertThat(exchange.getMessage().getHeaders()).isInstanceOf(CaseInsensitiveHeaders.class);
            assertThat(exchange.getMessage().getHeader("content-type")).isEqualTo("text/plain");
            assertThat(exchange.copy().getMessage().getHeaders()).isInstanceOf(CaseInsensitiveHeaders.class)
                    .containsEntry("CONTENT-TYPE", "text/plain");
        }
    }

    private static String randomCase(String name, Random random) {
        StringBuilder mixed = new StringBuilder(name.length());
        for (char c : name.toCharArray()) {
            mixed.append(random.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
        }
        return mixed.toString();
    }
}
