package io.fhirlink.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fhirlink.failure.GatewayException;
import io.fhirlink.fhir.FhirRequest;
import io.fhirlink.links.Link;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Who may use a link: its organization; and the one anonymous request, the CapabilityStatement
 * ({@code GET [base]/metadata}, {@code OPTIONS [base]}), which is also sent upstream without the link's token.
 */
@Tag("unit")
class LinkAccessTest {

    private static final String OWNER = "0a0b0c0d-1111-2222-3333-444455556666";
    private static final Link LINK = new Link("ward", OWNER, null, "https://fhir.example.test", OWNER,
            "6b1c3e2a-5d4f-4a7b-9c8d-0e1f2a3b4c5d", "secret", "4.0.1", 1, null, null, "secret", null);

    private final LinkAccess access = new LinkAccess();

    @ParameterizedTest
    @CsvSource({"GET, metadata", "GET, metadata/", "OPTIONS, ''"})
    void theCapabilityStatement_isAnonymous(String method, String path) {
        assertThat(LinkAccess.isAnonymous(new FhirRequest("ward", path, null, method))).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"GET, Patient", "POST, metadata", "HEAD, metadata", "OPTIONS, Patient", "GET, ''", "GET, metadata/x",
            "GET, Metadata", "DELETE, metadata"})
    void everythingElse_needsACaller(String method, String path) {
        assertThat(LinkAccess.isAnonymous(new FhirRequest("ward", path, null, method))).isFalse();
    }

    @Test
    void optionsOnTheBase_goesUpstreamAsGetMetadata() {
        assertThat(new FhirRequest("ward", "", "x=1", "OPTIONS").upstream()).isEqualTo(new FhirRequest("ward", "metadata", "x=1", "GET"));
    }

    @Test
    void authorize_letsTheOwningOrganizationThrough() {
        assertThatCode(() -> access.authorize(exchange(new FhirRequest("ward", "Patient", null, "GET"), new Caller(OWNER, "me"))))
                .doesNotThrowAnyException();
    }

    @Test
    void authorize_answersAnotherOrganizationLikeAnUnknownLink() {
        Exchange exchange = exchange(new FhirRequest("ward", "Patient", null, "GET"), new Caller("9a9b9c9d-1111-2222-3333-444455556666", "them"));

        assertThatThrownBy(() -> access.authorize(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.detail()).isEqualTo("No FHIR server is linked as 'ward'.");
                });
        assertThat(exchange.getProperty(Link.PROPERTY)).as("the link is forgotten").isNull();
    }

    @Test
    void authorize_letsAnAnonymousCallerReadTheCapabilityStatement() {
        assertThatCode(() -> access.authorize(exchange(new FhirRequest("ward", "metadata", null, "GET"), null)))
                .doesNotThrowAnyException();
    }

    @Test
    void authorize_refusesAnAnonymousCallerAnythingElse() {
        assertThatThrownBy(() -> access.authorize(exchange(new FhirRequest("ward", "Patient", null, "GET"), null)))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    private static Exchange exchange(FhirRequest request, Caller caller) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setProperty(FhirRequest.PROPERTY, request);
        exchange.setProperty(Link.PROPERTY, LINK);
        if (caller != null) {
            exchange.setProperty(Caller.PROPERTY, caller);
        }
        return exchange;
    }
}
