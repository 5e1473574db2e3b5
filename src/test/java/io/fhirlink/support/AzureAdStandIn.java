package io.fhirlink.support;

import com.nimbusds.jose.jwk.RSAKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Stands in for Azure AD (Entra ID) on both sides of the gateway, over HTTPS on 127.0.0.1.
 *
 * <ul>
 *   <li>Upstream: the client-credentials token endpoint the gateway calls (through msal4j) to reach
 *       Azure FHIR servers ({@link ClientCredentialsGrant}), with secrets or client assertions
 *       ({@link ClientAssertionVerifier}), answering AADSTS errors in Azure's exact shape ({@link AadResponses}).
 *   <li>Caller side: a JWKS with a second key and OpenID metadata ({@link CallerDiscovery}), and the tokens callers
 *       present to the gateway, including hostile variants ({@link CallerTokenBuilder}).
 * </ul>
 *
 * This class is the tests' handle on it: the directory of tenants and apps ({@link AadDirectory}), the switches, and
 * the counters ({@link AadTraffic}). Everything is thread-safe.
 */
public final class AzureAdStandIn implements AutoCloseable {

    /** The Azure FHIR data-plane role that allows reads and writes. */
    public static final String FHIR_DATA_WRITER = "FHIR Data Writer";
    /** Audience of the tokens callers present to the gateway. */
    public static final String CALLER_AUDIENCE = "api://fhir-link";
    public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private final LoopbackHttpsServer server;
    private final AadUrls urls;
    private final RSAKey callerKey = RsaSigning.newKey("caller-" + UUID.randomUUID());
    private final AadDirectory directory = new AadDirectory();
    private final AccessTokenIssuer accessTokens = new AccessTokenIssuer();
    private final AadTraffic traffic = new AadTraffic();
    private final AadRoutes routes;

    private AzureAdStandIn() throws IOException {
        server = new LoopbackHttpsServer("aad-stand-in");
        urls = new AadUrls(server.origin());
        ClientCredentialsGrant grant =
                new ClientCredentialsGrant(directory, new ClientAssertionVerifier(urls), accessTokens);
        routes = new AadRoutes(grant, new CallerDiscovery(urls, callerKey), new AadResponses(urls), traffic);
        server.serve(routes);
    }

    public static AzureAdStandIn start() {
        try {
            return new AzureAdStandIn();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }

    /** {@code https://127.0.0.1:{port}}: an msal4j authority is this plus "/{tenant}". */
    public String authorityHost() {
        return urls.authorityHost();
    }

    // ---------------------------------------------------------------- upstream (client credentials)

    /** Registers an app (and its tenant). Without the writer role its tokens get 403 from the FHIR stand-in. */
    public void registerApp(String tenantId, String clientId, String clientSecret, boolean fhirDataWriter) {
        directory.register(ServicePrincipal.create(tenantId, clientId, clientSecret, null, fhirDataWriter));
    }

    /** A tenant (directory) that exists, with no application of the tests' in it yet. */
    public void registerTenant(String tenantId) {
        directory.addTenant(tenantId);
    }

    /** Registers an app whose credential is a certificate (uploaded under Certificates & secrets), and its tenant. */
    public void registerAppWithCertificate(String tenantId, String clientId, X509Certificate certificate, boolean fhirDataWriter) {
        directory.register(ServicePrincipal.create(tenantId, clientId, null, certificate, fhirDataWriter));
    }

    /** The app registration's certificate is replaced: assertions signed with the old key are refused from now on. */
    public void rotateCertificate(String clientId, X509Certificate certificate) {
        directory.rotateCertificate(clientId, certificate);
    }

    /**
     * Registers a multi-tenant application in its home tenant, with a certificate or a secret (one may be null).
     * Other tenants know it only after {@link #grantConsent}.
     */
    public void registerMultiTenantApp(String homeTenantId, String clientId, X509Certificate certificate, String clientSecret) {
        directory.registerMultiTenant(ServicePrincipal.create(homeTenantId, clientId, clientSecret, certificate, false));
    }

    /**
     * An administrator of {@code tenantId} grants admin consent to the multi-tenant app: its service principal is
     * created there (a new object id), without any role. Before that, Azure AD answers AADSTS700016 in that tenant.
     */
    public void grantConsent(String tenantId, String clientId) {
        directory.grantConsent(tenantId, clientId);
    }

    /** The tenant deletes the app's service principal (enterprise application): consent is gone. */
    public void revokeConsent(String tenantId, String clientId) {
        directory.revokeConsent(tenantId, clientId);
    }

    /** Gives or takes the FHIR Data Writer role of the app's service principal in one tenant. */
    public void assignFhirDataWriter(String tenantId, String clientId, boolean writer) {
        directory.assignFhirDataWriter(tenantId, clientId, writer);
    }

    /** From now on the app's secret is refused with AADSTS7000222, as when a secret passes its end date. */
    public void expireSecret(String clientId) {
        directory.expireSecret(clientId);
    }

    /** Lifetime of issued access tokens. msal4j ignores its cache for tokens of 300 s or less. */
    public void setTokenLifetimeSeconds(int seconds) {
        if (seconds < 1) {
            throw new IllegalArgumentException("lifetime must be positive");
        }
        accessTokens.setLifetimeSeconds(seconds);
    }

    /** When false every request answers 503, as during an Azure AD outage. */
    public void setAvailable(boolean available) {
        routes.setAvailable(available);
    }

    /** Token POSTs received since start or {@link #resetCounters()}, whatever their outcome. */
    public int tokenRequests() {
        return traffic.tokenRequests();
    }

    /** Decoded forms of those token POSTs, in arrival order (to check the scope the gateway asked for). */
    public List<Map<String, String>> tokenRequestForms() {
        return traffic.tokenForms();
    }

    /** GETs of the caller JWKS since start or {@link #resetCounters()}. */
    public int jwksRequests() {
        return traffic.jwksRequests();
    }

    public void resetCounters() {
        traffic.reset();
    }

    /** Public half of the key that signs upstream access tokens (what Azure FHIR trusts). */
    public RSAKey upstreamSigningKey() {
        return accessTokens.publicKey();
    }

    /** The issuer Azure AD v1 access tokens carry for a tenant, as Azure FHIR expects them. */
    public static String upstreamIssuer(String tenantId) {
        return "https://sts.windows.net/" + tenantId + "/";
    }

    // ---------------------------------------------------------------- caller side

    /** {@code https://127.0.0.1:{port}/discovery/v2.0/keys}, serving the caller signing key. */
    public String jwksUrl() {
        return urls.jwks();
    }

    public String callerIssuer(String tid) {
        return urls.callerIssuer(tid);
    }

    /** A valid caller token: RS256, kid in the header, aud {@value #CALLER_AUDIENCE}, valid for an hour. */
    public String callerToken(String tid, String subject) {
        return callerTokenBuilder(tid, subject).build();
    }

    public CallerTokenBuilder callerTokenBuilder(String tid, String subject) {
        return new CallerTokenBuilder(callerKey, callerIssuer(tid), tid, subject);
    }
}
