package io.fhirlink.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Azure AD stand-in checks client assertions as Azure AD does, each refusal with Azure's AADSTS code; and it
 * models a multi-tenant application: unknown in a tenant until consent, with the FHIR Data Writer role per tenant.
 */
class ClientAssertionStandInTest {

    private static final String TENANT = "33333333-aaaa-4bbb-8ccc-000000000001";
    private static final String OTHER_TENANT = "33333333-aaaa-4bbb-8ccc-000000000002";
    private static final String CLIENT_ID = "44444444-0000-4000-8000-000000000001";
    private static final String PLATFORM_ID = "44444444-0000-4000-8000-000000000002";
    private static final String SCOPE = "https://fhir.example/.default";
    private static final HttpClient HTTP = HttpClient.newBuilder().sslContext(TestCertificates.clientSslContext()).build();

    private static AzureAdStandIn aad;
    private static KeyPair keys;
    private static X509Certificate certificate;

    @BeforeAll
    static void start() {
        aad = AzureAdStandIn.start();
        keys = TestCertificates.rsaKeys(2048);
        certificate = TestCertificates.clientCertificate(keys, "assertion-test", 30);
        aad.registerAppWithCertificate(TENANT, CLIENT_ID, certificate, true);
        aad.registerMultiTenantApp(TENANT, PLATFORM_ID, certificate, null);
        aad.registerTenant(OTHER_TENANT);
    }

    @AfterAll
    static void stop() {
        aad.close();
    }

    @Test
    void validAssertion_getsAToken() throws Exception {
        assertThat(post(TENANT, CLIENT_ID, assertion(TENANT, CLIENT_ID, keys, certificate, c -> c)).statusCode()).isEqualTo(200);
    }

    @Test
    void replayedAssertion_isRefused() throws Exception {
        String once = assertion(TENANT, CLIENT_ID, keys, certificate, c -> c);
        assertThat(post(TENANT, CLIENT_ID, once).statusCode()).isEqualTo(200);
        assertAadError(post(TENANT, CLIENT_ID, once), 50013);
    }

    @Test
    void assertionSignedWithAnotherKeyButTheRegisteredThumbprint_isAadsts700027() throws Exception {
        KeyPair other = TestCertificates.rsaKeys(2048);
        assertAadError(post(TENANT, CLIENT_ID, assertion(TENANT, CLIENT_ID, other, certificate, c -> c)), 700027);
    }

    @Test
    void assertionForAnUnregisteredCertificate_isAadsts700027() throws Exception {
        KeyPair other = TestCertificates.rsaKeys(2048);
        X509Certificate unregistered = TestCertificates.clientCertificate(other, "unregistered", 30);
        assertAadError(post(TENANT, CLIENT_ID, assertion(TENANT, CLIENT_ID, other, unregistered, c -> c)), 700027);
    }

    @Test
    void assertionForAnotherAudience_isAadsts700023() throws Exception {
        assertAadError(post(TENANT, CLIENT_ID, assertion(TENANT, CLIENT_ID, keys, certificate,
                c -> c.audience(aad.authorityHost() + "/" + OTHER_TENANT + "/oauth2/v2.0/token"))), 700023);
    }

    @Test
    void assertionIssuedByAnotherClient_isAadsts700021() throws Exception {
        assertAadError(post(TENANT, CLIENT_ID, assertion(TENANT, CLIENT_ID, keys, certificate, c -> c.issuer("someone-else"))), 700021);
    }

    @Test
    void expiredAssertion_isAadsts700024() throws Exception {
        Instant past = Instant.now().minusSeconds(3600);
        assertAadError(post(TENANT, CLIENT_ID, assertion(TENANT, CLIENT_ID, keys, certificate,
                c -> c.notBeforeTime(Date.from(past.minusSeconds(600))).expirationTime(Date.from(past)))), 700024);
    }

    @Test
    void multiTenantApp_isUnknownInATenantUntilConsent_andHasTheRoleOnlyWhereAssigned() throws Exception {
        assertAadError(post(OTHER_TENANT, PLATFORM_ID, assertion(OTHER_TENANT, PLATFORM_ID, keys, certificate, c -> c)), 700016);
        aad.grantConsent(OTHER_TENANT, PLATFORM_ID);
        HttpResponse<String> noRole = post(OTHER_TENANT, PLATFORM_ID, assertion(OTHER_TENANT, PLATFORM_ID, keys, certificate, c -> c));
        assertThat(noRole.statusCode()).isEqualTo(200);
        assertThat(roles(noRole)).isNull();
        aad.assignFhirDataWriter(OTHER_TENANT, PLATFORM_ID, true);
        HttpResponse<String> writer = post(OTHER_TENANT, PLATFORM_ID, assertion(OTHER_TENANT, PLATFORM_ID, keys, certificate, c -> c));
        assertThat(roles(writer)).containsExactly(AzureAdStandIn.FHIR_DATA_WRITER);
        aad.revokeConsent(OTHER_TENANT, PLATFORM_ID);
        assertAadError(post(OTHER_TENANT, PLATFORM_ID, assertion(OTHER_TENANT, PLATFORM_ID, keys, certificate, c -> c)), 700016);
    }

    @Test
    void rotatedCertificate_refusesTheOldKey_andTakesTheNew() throws Exception {
        String rotating = "44444444-0000-4000-8000-000000000003";
        aad.registerAppWithCertificate(TENANT, rotating, certificate, true);
        KeyPair newKeys = TestCertificates.rsaKeys(2048);
        X509Certificate newCertificate = TestCertificates.clientCertificate(newKeys, "rotated", 30);
        aad.rotateCertificate(rotating, newCertificate);
        assertAadError(post(TENANT, rotating, assertion(TENANT, rotating, keys, certificate, c -> c)), 700027);
        assertThat(post(TENANT, rotating, assertion(TENANT, rotating, newKeys, newCertificate, c -> c)).statusCode()).isEqualTo(200);
    }

    /** An assertion as msal4j builds one: RS256, x5t#S256 header, iss = sub = client id, aud the token endpoint, jti. */
    private static String assertion(String tenant, String clientId, KeyPair signer, X509Certificate named,
            UnaryOperator<JWTClaimsSet.Builder> change) throws Exception {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .audience(aad.authorityHost() + "/" + tenant + "/oauth2/v2.0/token")
                .issuer(clientId).subject(clientId).jwtID(UUID.randomUUID().toString())
                .notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)));
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .x509CertSHA256Thumbprint(Base64URL.encode(MessageDigest.getInstance("SHA-256").digest(named.getEncoded())))
                .build();
        SignedJWT jwt = new SignedJWT(header, change.apply(claims).build());
        jwt.sign(new RSASSASigner(signer.getPrivate()));
        return jwt.serialize();
    }

    private static HttpResponse<String> post(String tenant, String clientId, String assertion) throws Exception {
        String form = "grant_type=client_credentials&client_id=" + clientId + "&scope=" + URLEncoder.encode(SCOPE, StandardCharsets.UTF_8)
                + "&client_assertion_type=" + URLEncoder.encode(AzureAdStandIn.JWT_BEARER, StandardCharsets.UTF_8)
                + "&client_assertion=" + assertion;
        return HTTP.send(HttpRequest.newBuilder(URI.create(aad.authorityHost() + "/" + tenant + "/oauth2/v2.0/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertAadError(HttpResponse<String> response, int code) throws Exception {
        Map<String, Object> body = JSONObjectUtils.parse(response.body());
        assertThat(response.statusCode()).as(response.body()).isBetween(400, 401);
        assertThat(body.get("error_description").toString()).startsWith("AADSTS" + code + ":");
    }

    private static List<String> roles(HttpResponse<String> response) throws Exception {
        String token = JSONObjectUtils.parse(response.body()).get("access_token").toString();
        return SignedJWT.parse(token).getJWTClaimsSet().getStringListClaim("roles");
    }
}
