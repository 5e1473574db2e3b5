package io.fhirlink.management;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fhirlink.failure.GatewayException;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** If-Match on PUT and DELETE: which tags name a version, and what the route steps answer (404, 412, unconditional). */
@Tag("unit")
class LinkPreconditionsTest {

    private final LinkPreconditions preconditions = new LinkPreconditions();

    @ParameterizedTest
    @ValueSource(strings = {"W/\"3\"", "\"3\"", " W/\"3\" ", "*", " * ", "W/\"1\", W/\"3\"", "\"2\",\"3\""})
    void ifMatch_namingTheVersion_matches(String ifMatch) {
        assertThat(LinkPreconditions.matches(ifMatch, 3)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"W/\"2\"", "\"30\"", "3", "W/3", "W/\"1\", W/\"2\"", "\"\"", "w/\"3\""})
    void ifMatch_notNamingTheVersion_doesNotMatch(String ifMatch) {
        assertThat(LinkPreconditions.matches(ifMatch, 3)).isFalse();
    }

    @Test
    void checkIfMatch_withoutTheCallersLink_is404() {
        Exchange exchange = exchange(null, null);

        assertThatThrownBy(() -> preconditions.checkIfMatch(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void checkIfMatch_withoutIfMatch_isUnconditional() {
        Exchange exchange = exchange(Map.of("version", 2L), null);

        preconditions.checkIfMatch(exchange);

        assertThat(exchange.getProperty(LinkPreconditions.EXPECTED_VERSION)).isNull();
    }

    @Test
    void checkIfMatch_withTheCurrentTag_makesTheChangeConditionalOnThatVersion() {
        Exchange exchange = exchange(Map.of("version", 2L), "W/\"2\"");

        preconditions.checkIfMatch(exchange);
        preconditions.bindExpectedVersion(exchange);

        assertThat(exchange.getMessage().getHeader("expectedVersion")).isEqualTo(2L);
    }

    @Test
    void checkIfMatch_withAStaleTag_is412NamingTheCurrentETag() {
        Exchange exchange = exchange(Map.of("version", 2L), "W/\"1\"");

        assertThatThrownBy(() -> preconditions.checkIfMatch(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(412);
                    assertThat(e.headers()).containsEntry("ETag", "W/\"2\"");
                    assertThat(e.detail()).contains("'put-stale'", "W/\"2\"");
                });
    }

    @Test
    void confirmChanged_noRowBackAfterAConditionalWrite_is412() {
        Exchange exchange = exchange(null, null);
        exchange.setProperty(LinkPreconditions.EXPECTED_VERSION, 2L);

        assertThatThrownBy(() -> preconditions.confirmChanged(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(412));
    }

    @Test
    void confirmChanged_noRowBackAfterAnUnconditionalWrite_is404() {
        Exchange exchange = exchange(null, null);

        assertThatThrownBy(() -> preconditions.confirmChanged(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    private static Exchange exchange(Map<String, Object> row, String ifMatch) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setHeader("displayName", "put-stale");
        exchange.getMessage().setHeader(LinkPreconditions.CURRENT_LINK, row);
        exchange.getMessage().setHeader("If-Match", ifMatch);
        return exchange;
    }
}
