package io.fhirlink.config;

import java.util.Map;
import org.apache.camel.spi.HeadersMapFactory;

/**
 * Gives every Camel message {@link CaseInsensitiveHeaders} instead of Camel's sorted map. Camel finds it through
 * {@code META-INF/services/org/apache/camel/headers-map-factory} when the context starts, for all routes.
 */
public final class HeaderMaps implements HeadersMapFactory {

    @Override
    public Map<String, Object> newMap() {
        return new CaseInsensitiveHeaders();
    }

    @Override
    public Map<String, Object> newMap(Map<String, Object> map) {
        return new CaseInsensitiveHeaders(map);
    }

    @Override
    public boolean isInstanceOf(Map<String, Object> map) {
        return map instanceof CaseInsensitiveHeaders;
    }

    @Override
    public boolean isCaseInsensitive() {
        return true;
    }
}
