package io.fhirlink.failure;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The AADSTS code read from Azure AD's error description, and the advice a person can act on. */
@Tag("unit")
class AzureAdRefusalTest {

    @ParameterizedTest(name = "AADSTS{0}")
    @CsvSource(delimiter = '|', value = {
            "7000215 | the client secret is wrong. Use the secret's Value (not its Secret ID)",
            "7000222 | the client secret has expired. Create a new secret",
            "700016  | no application with this client id exists in the tenant. Check clientId and tenantId.",
            "90002   | the tenant was not found. Check tenantId",
            "500011  | Azure AD does not know the FHIR server as a resource in this tenant",
            "700024  | the client assertion is not within its valid time range; check the gateway's clock.",
            "7000112 | the application is disabled or not valid in this tenant."})
    void advice_quotesTheCodeAndSaysWhatToFix(String code, String advice) {
        AzureAdRefusal refusal = new AzureAdRefusal("invalid_client",
                "AADSTS" + code + ": Azure's own words.\r\nTrace ID: 1234\nCorrelation ID: 5678", true);

        assertThat(refusal.code()).isEqualTo("AADSTS" + code);
        assertThat(refusal.advice()).startsWith("AADSTS" + code + ": ").contains(advice);
    }

    @Test
    void anUnknownCode_isQuotedWithAzuresFirstLineOnly() {
        AzureAdRefusal refusal = new AzureAdRefusal("invalid_request", "AADSTS12345: Something new.\r\nTrace ID: 1234", true);

        assertThat(refusal.advice()).isEqualTo("AADSTS12345: AADSTS12345: Something new.");
    }

    @Test
    void noCode_namesTheOAuthError() {
        assertThat(new AzureAdRefusal("invalid_client", "no code here", true).advice())
                .isEqualTo("Azure AD refused the token request (invalid_client).");
        assertThat(new AzureAdRefusal("timeout", null, false).advice()).isEqualTo("Azure AD could not be reached (timeout).");
        assertThat(new AzureAdRefusal("timeout", null, false).code()).isNull();
    }

    @Test
    void theMessage_isOneBoundedLine() {
        assertThat(new AzureAdRefusal("x", "a".repeat(500) + "\nsecond line", true).getMessage()).hasSize(300).doesNotContain("\n");
    }
}
