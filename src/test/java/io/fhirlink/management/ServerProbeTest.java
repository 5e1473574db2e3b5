package io.fhirlink.management;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.auth.Caller;
import io.fhirlink.failure.GatewayException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which Azure AD tenant a link's credentials are tried in: the body's {@code tenantId}, else the tenant in the token
 * URL the server's CapabilityStatement advertises, else the caller's; and a body's tenant other than the advertised
 * one is refused. The probe's HTTP-status readings (401 audience, 403 role) too. No token is requested here.
 */
@Tag("unit")
class ServerProbeTest {

    private static final String ADVERTISED = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private static final String CALLERS = "0a0b0c0d-1111-2222-3333-444455556666";
    private static final String OTHER = "9a9b9c9d-1111-2222-3333-444455556666";

    private final ServerProbe probe = new ServerProbe(new ObjectMapper(), null);

    @ParameterizedTest
    @CsvSource({
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token, 72f988bf-86f1-41af-91ab-2d7cd011db47",
            "https://login.microsoftonline.com/72F988BF-86F1-41AF-91AB-2D7CD011DB47/oauth2/token, 72f988bf-86f1-41af-91ab-2d7cd011db47",
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token, contoso.onmicrosoft.com"})
    void tenantOf_readsTheTenantOfAnAzureAdTokenUrl(String tokenUrl, String tenant) {
        assertThat(ServerProbe.tenantOf(tokenUrl)).hasValue(tenant);
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://login.microsoftonline.com/common/oauth2/v2.0/token",
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/token", "https://login.microsoftonline.com/",
            "https://login.microsoftonline.com/a%20b/oauth2/token", "not a url", ""})
    void tenantOf_findsNoTenantInAMultiTenantOrOddUrl(String tokenUrl) {
        assertThat(ServerProbe.tenantOf(tokenUrl)).isEmpty();
    }

    @Test
    void checkCapabilityStatement_readsVersionAndAdvertisedTenant() throws Exception {
        Exchange exchange = exchange(null, null);
        answer(exchange, 200, capabilityStatement("https://login.microsoftonline.com/" + ADVERTISED + "/oauth2/v2.0/token"));

        probe.checkCapabilityStatement(exchange);

        CapabilityCheck check = exchange.getProperty(CapabilityCheck.PROPERTY, CapabilityCheck.class);
        assertThat(check.fhirVersion()).isEqualTo("4.0.1");
        assertThat(check.advertisedTenant()).hasValue(ADVERTISED);
    }

    @Test
    void checkCapabilityStatement_refusesAnswerThatIsNotACapabilityStatement() {
        Exchange exchange = exchange(null, null);
        answer(exchange, 200, "{\"resourceType\":\"Bundle\"}");

        assertThatThrownBy(() -> probe.checkCapabilityStatement(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.detail()).contains("not a FHIR server");
                });
    }

    @Test
    void resolveTenant_keepsTheBodysTenant() {
        Exchange exchange = exchange(OTHER, Optional.of(ADVERTISED));

        probe.resolveTenant(exchange);

        assertThat(request(exchange).tenantId()).isEqualTo(OTHER);
    }

    @Test
    void resolveTenant_withoutABodyTenant_takesTheAdvertisedOne() {
        Exchange exchange = exchange(null, Optional.of(ADVERTISED));

        probe.resolveTenant(exchange);

        assertThat(request(exchange).tenantId()).isEqualTo(ADVERTISED);
    }

    @Test
    void resolveTenant_withNeitherBodyNorAdvertisedTenant_takesTheCallers() {
        Exchange exchange = exchange(null, Optional.empty());

        probe.resolveTenant(exchange);

        assertThat(request(exchange).tenantId()).isEqualTo(CALLERS);
    }

    @Test
    void refuseOtherTenant_refusesABodyTenantOtherThanTheAdvertisedOne_namingBoth() {
        Exchange exchange = exchange(OTHER, Optional.of(ADVERTISED));

        assertThatThrownBy(() -> probe.refuseOtherTenant(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.errors()).singleElement().satisfies(error -> {
                    assertThat(error.field()).isEqualTo("tenantId");
                    assertThat(error.message()).contains(OTHER, ADVERTISED);
                }));
    }

    @Test
    void refuseOtherTenant_acceptsTheAdvertisedTenantInAnyCase() {
        probe.refuseOtherTenant(exchange(ADVERTISED.toUpperCase(java.util.Locale.ROOT), Optional.of(ADVERTISED)));
    }

    @Test
    void refuseOtherTenant_acceptsAnyBodyTenantWhenNoneIsAdvertised() {
        probe.refuseOtherTenant(exchange(OTHER, Optional.empty()));
    }

    @Test
    void checkAuthenticatedRead_401_pointsAtTheAudience() {
        Exchange exchange = exchange(ADVERTISED, Optional.empty());
        answer(exchange, 401, "");

        assertThatThrownBy(() -> probe.checkAuthenticatedRead(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.detail()).contains("Audience equal to https://fhir.example.test"));
    }

    @Test
    void checkAuthenticatedRead_403_namesTheRoleAndTheDelay() {
        Exchange exchange = exchange(ADVERTISED, Optional.empty());
        answer(exchange, 403, "");

        assertThatThrownBy(() -> probe.checkAuthenticatedRead(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.detail()).contains("FHIR Data Writer", "30 minutes"));
    }

    private static Exchange exchange(String bodyTenant, Optional<String> advertised) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setProperty(RegistrationRequest.PROPERTY, new RegistrationRequest("probed", null, "https://fhir.example.test",
                "6b1c3e2a-5d4f-4a7b-9c8d-0e1f2a3b4c5d", "secret", bodyTenant, null));
        if (advertised != null) {
            exchange.setProperty(CapabilityCheck.PROPERTY, new CapabilityCheck("4.0.1", advertised));
        }
        exchange.setProperty(Caller.PROPERTY, new Caller(CALLERS, "someone"));
        return exchange;
    }

    private static void answer(Exchange exchange, int status, String body) {
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setBody(new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
    }

    private static RegistrationRequest request(Exchange exchange) {
        return exchange.getProperty(RegistrationRequest.PROPERTY, RegistrationRequest.class);
    }

    private static String capabilityStatement(String tokenUrl) {
        return "{\"resourceType\":\"CapabilityStatement\",\"fhirVersion\":\"4.0.1\",\"rest\":[{\"mode\":\"server\",\"security\":"
                + "{\"extension\":[{\"url\":\"" + ServerProbe.OAUTH_URIS + "\",\"extension\":[{\"url\":\"token\",\"valueUri\":\""
                + tokenUrl + "\"}]}]}}]}";
    }
}
