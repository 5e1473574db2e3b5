package io.fhirlink.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fhirlink.failure.GatewayException;
import io.fhirlink.fhir.FhirRequest;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The proxy's first step: the raw request URI read into link, path and query, or refused (400, 405, 501). */
@Tag("unit")
class FhirRequestParserTest {

    private final FhirRequestParser parser = new FhirRequestParser();

    @Test
    void parse_splitsLinkPathAndQuery_keepingTheQueryByteForByte() {
        FhirRequest request = parser.parse("/Ward/Patient?name=Zo%C3%AB&_count=10&ct=a%2Bb==", "get");

        assertThat(request).isEqualTo(new FhirRequest("ward", "Patient", "name=Zo%C3%AB&_count=10&ct=a%2Bb==", "GET"));
    }

    @Test
    void parse_theLinkBaseItself_hasAnEmptyPath() {
        assertThat(parser.parse("/ward", "OPTIONS")).isEqualTo(new FhirRequest("ward", "", null, "OPTIONS"));
    }

    @Test
    void parse_isTheRouteStep_readingTheCamelHttpHeaders() {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setHeader(Exchange.HTTP_URI, "/ward/metadata");
        exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "GET");

        parser.parse(exchange);

        assertThat(exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class).isCapabilityStatement()).isTrue();
    }

    /** The paths {@code ProxyGuardsTest} sent through a gateway, and more of the same. */
    @ParameterizedTest
    @ValueSource(strings = {"/ward/../FhirServers/aadfhirrecord", "/ward/Patient/../../other/Patient",
            "/ward/%2e%2e/other", "/ward/Patient/%2E%2E/%2e%2e/x", "/ward/Patient%2f..%2fx", "/ward//evil.example/x",
            "/ward/Patient\\..\\x", "/ward/%252e%252e/x", "/ward/Patient/./1", "/ward/Patient%5c..%5cx"})
    void pathsLeavingTheLinkBase_are400(String uri) {
        assertThatThrownBy(() -> parser.parse(uri, "GET"))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.issueCode()).isEqualTo("invalid");
                    assertThat(e.detail()).isEqualTo(PathSafety.REFUSED);
                });
    }

    /** {@code SecondRoundTest.rawHighBytesOrFullwidthDotsInThePath_are400}: Netty hands such bytes over as ISO-8859-1. */
    @ParameterizedTest
    @ValueSource(strings = {"\u0085", "\u009f", "\u00ef\u00bc\u008e\u00ef\u00bc\u008e"})
    void rawHighBytesOrFullwidthDotsInThePath_are400(String latin1) {
        assertThatThrownBy(() -> parser.parse("/clinic/Patient/" + latin1 + "/x", "GET"))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void rawUtf8BytesInTheQuery_arePercentEncodedOnce() {
        assertThat(parser.parse("/clinic/Patient?name=Zo\u00c3\u00ab", "GET").rawQuery()).isEqualTo("name=Zo%C3%AB");
    }

    @Test
    void controlCharactersInTheQuery_are400() {
        assertThatThrownBy(() -> parser.parse("/clinic/Patient?name=a\u0001b", "GET"))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ward/$export", "/ward/Patient/$export", "/ward/Group/1/$export?_type=Patient",
            "/ward/Patient/%24export", "/ward/.well-known/smart-configuration", "/ward/.well-known/openid-configuration"})
    void notSupportedThroughALink_is501(String uri) {
        assertThatThrownBy(() -> parser.parse(uri, "GET"))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(501);
                    assertThat(e.issueCode()).isEqualTo("not-supported");
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"TRACE", "CONNECT", "PROPFIND", "FOO"})
    void methodsFhirDoesNotUse_are405WithAllow(String method) {
        assertThatThrownBy(() -> parser.parse("/ward/Patient", method))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(405);
                    assertThat(e.headers()).containsEntry("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
                });
    }

    @Test
    void aUriThatIsNotAPath_is400() {
        assertThatThrownBy(() -> parser.parse("http://evil.example/ward", "GET"))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(400));
    }
}
