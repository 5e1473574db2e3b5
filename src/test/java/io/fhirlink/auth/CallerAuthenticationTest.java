package io.fhirlink.auth;

import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.fhirlink.config.Settings;
import io.fhirlink.support.CallerTokenBuilder;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.TestCertificates;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The management API admits only callers with a valid Azure AD bearer token: right signature (published key),
 * issuer, audience, lifetime, and an organization ({@code tid}). Everything else is 401 with
 * {@code WWW-Authenticate: Bearer}.
 */
class CallerAuthenticationTest {

    private static final String COLLECTION = "/FhirServers/aadfhirrecord";

    @RegisterExtension
    static final GatewayHarness h = GatewayHarness.forClass();

    @Test
    void validToken_isAccepted() throws Exception {
        assertThat(list("Bearer " + h.token(TENANT)).statusCode()).isEqualTo(200);
    }

    @Test
    void bearerScheme_isCaseInsensitive() throws Exception {
        assertThat(list("bearer " + h.token(TENANT)).statusCode()).isEqualTo(200);
    }

    @Test
    void missingToken_isRejected() throws Exception {
        assertRejected(h.send("GET", COLLECTION, null, null));
    }

    @Test
    void missingToken_onRegistration_isRejectedBeforeTheBodyIsRead() throws Exception {
        assertRejected(h.send("POST", COLLECTION, null, h.registration("anonymous-link")));
    }

    @Test
    void nonBearerScheme_isRejected() throws Exception {
        assertRejected(list("Basic dXNlcjpwYXNzd29yZA=="));
    }

    @Test
    void garbageToken_isRejected() throws Exception {
        assertRejected(list("Bearer not-a-jwt"));
    }

    @Test
    void emptyBearerToken_isRejected() throws Exception {
        assertRejected(list("Bearer "));
    }

    @Test
    void unsignedToken_isRejected() throws Exception {
        String unsigned = new PlainJWT(new JWTClaimsSet.Builder()
                .issuer(h.aad.callerIssuer(TENANT)).audience("api://fhir-link").claim("tid", TENANT)
                .expirationTime(java.util.Date.from(Instant.now().plusSeconds(3600))).build()).serialize();

        assertRejected(list("Bearer " + unsigned));
    }

    @Test
    void expiredToken_isRejected() throws Exception {
        Instant now = Instant.now();
        String token = builder().notBefore(now.minus(2, ChronoUnit.HOURS)).expiresAt(now.minus(10, ChronoUnit.MINUTES)).build();

        assertRejected(list("Bearer " + token));
    }

    @Test
    void notYetValidToken_isRejected() throws Exception {
        Instant now = Instant.now();
        String token = builder().notBefore(now.plus(10, ChronoUnit.MINUTES)).expiresAt(now.plus(2, ChronoUnit.HOURS)).build();

        assertRejected(list("Bearer " + token));
    }

    @Test
    void tokenForAnotherAudience_isRejected() throws Exception {
        assertRejected(list("Bearer " + builder().audience("api://some-other-app").build()));
    }

    @Test
    void tokenFromAnotherIssuer_isRejected() throws Exception {
        assertRejected(list("Bearer " + builder().issuer("https://evil.example/" + TENANT + "/v2.0").build()));
    }

    @Test
    void tokenWhoseIssuerNamesAnotherTenantThanItsTid_isRejected() throws Exception {
        // {tid} in FHIRLINK_CALLER_ISSUERS stands for the token's own tid, not any tenant.
        assertRejected(list("Bearer " + builder().issuer(h.aad.callerIssuer(OTHER_TENANT)).build()));
    }

    @Test
    void tokenSignedWithUnknownKey_isRejected() throws Exception {
        assertRejected(list("Bearer " + builder().signedWithUnknownKey().build()));
    }

    @Test
    void tokenForgedWithKnownKid_isRejected() throws Exception {
        assertRejected(list("Bearer " + builder().forgedWithKnownKid().build()));
    }

    @Test
    void tokenWithoutTid_isRejected() throws Exception {
        assertRejected(list("Bearer " + builder().claim("tid", null).build()));
    }

    @Test
    void tokenWithNonStringTid_isRejected() throws Exception {
        assertRejected(list("Bearer " + builder().claim("tid", 42).build()));
    }

    @Test
    void missingToken_onFhirPath_isRejected() throws Exception {
        assertRejected(h.send("GET", "/any-link/Patient", null, null));
    }

    @Test
    void rejection_neverEchoesTheToken() throws Exception {
        String token = builder().audience("api://some-other-app").build();

        HttpResponse<String> response = list("Bearer " + token);

        assertThat(response.body()).doesNotContain(token).doesNotContain(token.substring(0, token.indexOf('.')));
    }

    @Test
    void organizationClaimOtherThanTid_stillMatchesIssuerByTheTokensTid() {
        // Without Camel: the authenticator alone, configured as an operator would with another organization claim.
        CallerAuthenticator authenticator = new CallerAuthenticator(Settings.from(Map.of(
                "FHIRLINK_CALLER_JWKS_URL", h.aad.jwksUrl(),
                "FHIRLINK_CALLER_ISSUERS", h.aad.callerIssuer("{tid}"),
                "FHIRLINK_CALLER_ORGANIZATION_CLAIM", "org")), TestCertificates.clientSslContext(), null);
        String token = builder().claim("org", "contoso-research").build();

        assertThat(authenticator.verify("Bearer " + token).organization()).isEqualTo("contoso-research");
    }

    // ---------------------------------------------------------------- helpers

    private static CallerTokenBuilder builder() {
        return h.aad.callerTokenBuilder(TENANT, "caller-auth-test");
    }

    private static HttpResponse<String> list(String authorization) throws Exception {
        return h.send("GET", COLLECTION, null, null, "Authorization", authorization);
    }

    private static void assertRejected(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                challenge -> assertThat(challenge).startsWith("Bearer"));
    }
}
