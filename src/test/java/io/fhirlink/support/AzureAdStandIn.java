package io.fhirlink.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stands in for Azure AD (Entra ID) on both sides of the gateway, over HTTPS on 127.0.0.1.
 *
 * <ul>
 *   <li>Upstream: the client-credentials token endpoint the gateway calls (through msal4j) to reach
 *       Azure FHIR servers. Its answers, including the AADSTS errors, have Azure's exact shape
 *       because the gateway parses the AADSTS code out of msal4j's exception message.
 *   <li>Caller side: a JWKS with a second key and helpers that mint the tokens callers present to
 *       the gateway, including hostile variants (wrong audience, issuer, expiry, signing key).
 * </ul>
 *
 * Everything is thread-safe; requests are served on a cached pool so concurrency tests really run
 * in parallel instead of queueing behind a single dispatcher thread.
 */
public final class AzureAdStandIn implements AutoCloseable {

    /** The Azure FHIR data-plane role that allows reads and writes. */
    public static final String FHIR_DATA_WRITER = "FHIR Data Writer";
    /** Audience of the tokens callers present to the gateway. */
    public static final String CALLER_AUDIENCE = "api://fhir-link";

    private static final Pattern TOKEN_PATH = Pattern.compile("^/([^/]+)/oauth2/v2\\.0/token$");
    private static final Pattern OIDC_PATH = Pattern.compile("^/([^/]+)/v2\\.0/\\.well-known/openid-configuration$");
    private static final String JWKS_PATH = "/discovery/v2.0/keys";
    private static final DateTimeFormatter AAD_TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    /**
     * An application's service principal in a tenant: its credentials (a secret, a certificate, or both, as the app
     * registration holds them), whether it has the FHIR Data Writer role there (the FHIR stand-in reads the token's
     * roles), and its object id.
     */
    private record App(String tenantId, String clientId, String clientSecret, X509Certificate certificate,
            boolean fhirDataWriter, String objectId) {
        App withCertificate(X509Certificate newCertificate) {
            return new App(tenantId, clientId, clientSecret, newCertificate, fhirDataWriter, objectId);
        }

        App withRole(boolean writer) {
            return new App(tenantId, clientId, clientSecret, certificate, writer, objectId);
        }
    }

    public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    /** Azure AD accepts client assertions a few minutes past their times (clock skew). */
    private static final long ASSERTION_SKEW_SECONDS = 300;

    private final HttpsServer server;
    private final ExecutorService executor;
    private final RSAKey upstreamKey = newRsaKey("upstream-" + UUID.randomUUID());
    private final RSAKey callerKey = newRsaKey("caller-" + UUID.randomUUID());

    private final Set<String> tenants = ConcurrentHashMap.newKeySet();
    /** Keyed by lower-case tenant + "|" + client id: an app is registered per tenant here. */
    private final Map<String, App> apps = new ConcurrentHashMap<>();
    private final Set<String> expiredSecrets = ConcurrentHashMap.newKeySet();
    /** Multi-tenant applications by client id: their home registration, copied into a tenant by consent. */
    private final Map<String, App> multiTenantApps = new ConcurrentHashMap<>();
    /** Client assertion ids seen, per client id: a replayed assertion is refused. */
    private final Set<String> usedAssertionIds = ConcurrentHashMap.newKeySet();

    private final AtomicInteger tokenRequests = new AtomicInteger();
    private final AtomicInteger jwksRequests = new AtomicInteger();
    private final List<Map<String, String>> tokenForms = new CopyOnWriteArrayList<>();
    private volatile boolean available = true;
    private volatile int tokenLifetimeSeconds = 3599;

    private AzureAdStandIn() throws IOException {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        server.setHttpsConfigurator(new HttpsConfigurator(TestCertificates.serverSslContext()));
        // Daemon threads: a test that forgets close() must not keep the JVM alive.
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "aad-stand-in");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
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
        server.stop(0);
        executor.shutdownNow();
    }

    /** {@code https://127.0.0.1:{port}}: an msal4j authority is this plus "/{tenant}". */
    public String authorityHost() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    // ---------------------------------------------------------------- upstream (client credentials)

    /** Registers an app (and its tenant). Without the writer role its tokens get 403 from the FHIR stand-in. */
    public void registerApp(String tenantId, String clientId, String clientSecret, boolean fhirDataWriter) {
        tenants.add(tenantId.toLowerCase(Locale.ROOT));
        apps.put(appKey(tenantId, clientId),
                new App(tenantId, clientId, clientSecret, null, fhirDataWriter, UUID.randomUUID().toString()));
    }

    /** A tenant (directory) that exists, with no application of the tests' in it yet. */
    public void registerTenant(String tenantId) {
        tenants.add(tenantId.toLowerCase(Locale.ROOT));
    }

    /** Registers an app whose credential is a certificate (uploaded under Certificates & secrets), and its tenant. */
    public void registerAppWithCertificate(String tenantId, String clientId, X509Certificate certificate, boolean fhirDataWriter) {
        tenants.add(tenantId.toLowerCase(Locale.ROOT));
        apps.put(appKey(tenantId, clientId),
                new App(tenantId, clientId, null, certificate, fhirDataWriter, UUID.randomUUID().toString()));
    }

    /** The app registration's certificate is replaced: assertions signed with the old key are refused from now on. */
    public void rotateCertificate(String clientId, X509Certificate certificate) {
        apps.replaceAll((key, app) -> app.clientId().equals(clientId) ? app.withCertificate(certificate) : app);
        multiTenantApps.computeIfPresent(clientId, (id, app) -> app.withCertificate(certificate));
    }

    /**
     * Registers a multi-tenant application in its home tenant, with a certificate or a secret (one may be null).
     * Other tenants know it only after {@link #grantConsent}.
     */
    public void registerMultiTenantApp(String homeTenantId, String clientId, X509Certificate certificate, String clientSecret) {
        tenants.add(homeTenantId.toLowerCase(Locale.ROOT));
        App home = new App(homeTenantId, clientId, clientSecret, certificate, false, UUID.randomUUID().toString());
        multiTenantApps.put(clientId, home);
        apps.put(appKey(homeTenantId, clientId), home);
    }

    /**
     * An administrator of {@code tenantId} grants admin consent to the multi-tenant app: its service principal is
     * created there (a new object id), without any role. Before that, Azure AD answers AADSTS700016 in that tenant.
     */
    public void grantConsent(String tenantId, String clientId) {
        App home = multiTenantApps.get(clientId);
        if (home == null) {
            throw new IllegalArgumentException("no multi-tenant app " + clientId);
        }
        tenants.add(tenantId.toLowerCase(Locale.ROOT));
        apps.putIfAbsent(appKey(tenantId, clientId),
                new App(tenantId, clientId, home.clientSecret(), home.certificate(), false, UUID.randomUUID().toString()));
    }

    /** The tenant deletes the app's service principal (enterprise application): consent is gone. */
    public void revokeConsent(String tenantId, String clientId) {
        apps.remove(appKey(tenantId, clientId));
    }

    /** Gives or takes the FHIR Data Writer role of the app's service principal in one tenant. */
    public void assignFhirDataWriter(String tenantId, String clientId, boolean writer) {
        App app = apps.get(appKey(tenantId, clientId));
        if (app == null) {
            throw new IllegalArgumentException("no service principal of " + clientId + " in " + tenantId + " (consent first)");
        }
        apps.put(appKey(tenantId, clientId), app.withRole(writer));
    }

    /** From now on the app's secret is refused with AADSTS7000222, as when a secret passes its end date. */
    public void expireSecret(String clientId) {
        expiredSecrets.add(clientId);
    }

    /** Lifetime of issued access tokens. msal4j ignores its cache for tokens of 300 s or less. */
    public void setTokenLifetimeSeconds(int seconds) {
        if (seconds < 1) {
            throw new IllegalArgumentException("lifetime must be positive");
        }
        tokenLifetimeSeconds = seconds;
    }

    /** When false every request answers 503, as during an Azure AD outage. */
    public void setAvailable(boolean available) {
        this.available = available;
    }

    /** Token POSTs received since start or {@link #resetCounters()}, whatever their outcome. */
    public int tokenRequests() {
        return tokenRequests.get();
    }

    /** Decoded forms of those token POSTs, in arrival order (to check the scope the gateway asked for). */
    public List<Map<String, String>> tokenRequestForms() {
        return List.copyOf(tokenForms);
    }

    /** GETs of the caller JWKS since start or {@link #resetCounters()}. */
    public int jwksRequests() {
        return jwksRequests.get();
    }

    public void resetCounters() {
        tokenRequests.set(0);
        jwksRequests.set(0);
        tokenForms.clear();
    }

    /** Public half of the key that signs upstream access tokens (what Azure FHIR trusts). */
    public RSAKey upstreamSigningKey() {
        return upstreamKey.toPublicJWK();
    }

    /** The issuer Azure AD v1 access tokens carry for a tenant, as Azure FHIR expects them. */
    public static String upstreamIssuer(String tenantId) {
        return "https://sts.windows.net/" + tenantId + "/";
    }

    // ---------------------------------------------------------------- caller side

    /** {@code https://127.0.0.1:{port}/discovery/v2.0/keys}, serving the caller signing key. */
    public String jwksUrl() {
        return authorityHost() + JWKS_PATH;
    }

    public String callerIssuer(String tid) {
        return authorityHost() + "/" + tid + "/v2.0";
    }

    /** A valid caller token: RS256, kid in the header, aud {@value #CALLER_AUDIENCE}, valid for an hour. */
    public String callerToken(String tid, String subject) {
        return callerTokenBuilder(tid, subject).build();
    }

    public CallerTokenBuilder callerTokenBuilder(String tid, String subject) {
        return new CallerTokenBuilder(tid, subject);
    }

    /** Builds caller tokens, valid by default; each setter makes one thing wrong on purpose. */
    public final class CallerTokenBuilder {
        private final Map<String, Object> extraClaims = new LinkedHashMap<>();
        private final String tid;
        private final String subject;
        private String audience = CALLER_AUDIENCE;
        private String issuer;
        private Instant notBefore = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        private Instant expiresAt = notBefore.plus(1, ChronoUnit.HOURS);
        private RSAKey signingKey = callerKey;

        private CallerTokenBuilder(String tid, String subject) {
            this.tid = tid;
            this.subject = subject;
            this.issuer = callerIssuer(tid);
        }

        public CallerTokenBuilder audience(String audience) {
            this.audience = audience;
            return this;
        }

        public CallerTokenBuilder issuer(String issuer) {
            this.issuer = issuer;
            return this;
        }

        public CallerTokenBuilder expiresAt(Instant expiresAt) {
            this.expiresAt = expiresAt;
            return this;
        }

        public CallerTokenBuilder notBefore(Instant notBefore) {
            this.notBefore = notBefore;
            return this;
        }

        /** Signs with a key the JWKS does not publish (and a kid it does not list). */
        public CallerTokenBuilder signedWithUnknownKey() {
            this.signingKey = newRsaKey("unknown-" + UUID.randomUUID());
            return this;
        }

        /** Signs with a foreign key but claims the published kid: only the signature check catches it. */
        public CallerTokenBuilder forgedWithKnownKid() {
            this.signingKey = newRsaKey(callerKey.getKeyID());
            return this;
        }

        /** Adds or overrides any claim (null removes it), e.g. {@code claim("tid", null)}. */
        public CallerTokenBuilder claim(String name, Object value) {
            extraClaims.put(name, value);
            return this;
        }

        public String build() {
            JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                    .issuer(issuer)
                    .audience(audience)
                    .subject(subject)
                    .claim("tid", tid)
                    .claim("oid", UUID.nameUUIDFromBytes((tid + "|" + subject).getBytes(StandardCharsets.UTF_8)).toString())
                    .claim("ver", "2.0")
                    .issueTime(Date.from(notBefore))
                    .notBeforeTime(Date.from(notBefore))
                    .expirationTime(Date.from(expiresAt));
            extraClaims.forEach(claims::claim);
            return sign(signingKey, claims.build());
        }
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            Matcher token = TOKEN_PATH.matcher(path);
            boolean isToken = token.matches() && "POST".equals(method);
            byte[] body = ex.getRequestBody().readAllBytes();
            if (isToken) {
                tokenRequests.incrementAndGet();
            }
            if (!available) {
                send(ex, 503, Map.of("error", "temporarily_unavailable",
                        "error_description", "The service is temporarily unavailable."));
                return;
            }
            if (isToken) {
                tokenEndpoint(ex, token.group(1), parseForm(new String(body, StandardCharsets.UTF_8)));
            } else if (JWKS_PATH.equals(path) && "GET".equals(method)) {
                jwksRequests.incrementAndGet();
                send(ex, 200, new JWKSet(callerKey.toPublicJWK()).toJSONObject(true));
            } else if (OIDC_PATH.matcher(path).matches() && "GET".equals(method)) {
                String tid = path.split("/")[1];
                send(ex, 200, Map.of(
                        "issuer", callerIssuer(tid),
                        "jwks_uri", jwksUrl(),
                        "token_endpoint", authorityHost() + "/" + tid + "/oauth2/v2.0/token",
                        "id_token_signing_alg_values_supported", List.of("RS256")));
            } else {
                send(ex, 404, Map.of("error", "not_found", "error_description", "No such endpoint: " + method + " " + path));
            }
        } catch (RuntimeException e) {
            // The JDK server would just drop the connection; log so a stand-in bug is visible in test output.
            System.getLogger(AzureAdStandIn.class.getName()).log(System.Logger.Level.ERROR, "AAD stand-in failed", e);
            throw e;
        }
    }

    /** Azure AD's checks, in Azure's order: tenant, application, secret, then the scope. */
    private void tokenEndpoint(HttpExchange ex, String tenant, Map<String, String> form) throws IOException {
        tokenForms.add(form);
        String clientId = form.getOrDefault("client_id", "");
        if (!"client_credentials".equals(form.get("grant_type"))) {
            aadError(ex, 400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '" + form.get("grant_type") + "'.");
            return;
        }
        if (!tenants.contains(tenant.toLowerCase(Locale.ROOT))) {
            aadError(ex, 400, "invalid_request", 90002, "Tenant '" + tenant + "' not found. Check to make sure you have the "
                    + "correct tenant ID and are signing into the correct cloud. Check with your subscription "
                    + "administrator, this may happen if there are no active subscriptions for the tenant.");
            return;
        }
        App app = apps.get(appKey(tenant, clientId));
        if (app == null) {
            aadError(ex, 400, "unauthorized_client", 700016, "Application with identifier '" + clientId + "' was not found "
                    + "in the directory '" + tenant + "'. This can happen if the application has not been installed by the "
                    + "administrator of the tenant or consented to by any user in the tenant. You may have sent your "
                    + "authentication request to the wrong tenant.");
            return;
        }
        if (form.containsKey("client_assertion") || form.containsKey("client_assertion_type")) {
            if (!assertionAccepted(ex, tenant, clientId, app, form)) {
                return;
            }
        } else if (app.clientSecret() == null || !app.clientSecret().equals(form.get("client_secret"))) {
            aadError(ex, 401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the "
                    + "request is the client secret value, not the client secret ID, for a secret added to app '"
                    + clientId + "'.");
            return;
        }
        if (!form.containsKey("client_assertion") && expiredSecrets.contains(clientId)) {
            aadError(ex, 401, "invalid_client", 7000222, "The provided client secret keys for app '" + clientId
                    + "' are expired. Visit the Azure portal to create new keys for your app: "
                    + "https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: "
                    + "https://aka.ms/certCreds.");
            return;
        }
        // msal4j may add openid/profile/offline_access; the resource is the one ending in /.default.
        String resource = Arrays.stream(form.getOrDefault("scope", "").split(" "))
                .filter(s -> s.endsWith("/.default"))
                .map(s -> s.substring(0, s.length() - "/.default".length()))
                .findFirst().orElse(null);
        if (resource == null) {
            aadError(ex, 400, "invalid_scope", 1002012, "The provided value for scope " + form.get("scope") + " is not valid. "
                    + "Client credential flows must have a scope value with /.default suffixed to the resource identifier "
                    + "(application ID URI).");
            return;
        }
        int lifetime = tokenLifetimeSeconds;
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .audience(resource)
                .issuer(upstreamIssuer(app.tenantId()))
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(lifetime)))
                .subject(app.objectId())
                .claim("tid", app.tenantId())
                .claim("appid", clientId)
                .claim("appidacr", "1")
                .claim("idtyp", "app")
                .claim("oid", app.objectId())
                .claim("ver", "1.0");
        if (app.fhirDataWriter()) {
            claims.claim("roles", List.of(FHIR_DATA_WRITER));
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("token_type", "Bearer");
        answer.put("expires_in", lifetime);
        answer.put("ext_expires_in", lifetime);
        answer.put("access_token", sign(upstreamKey, claims.build()));
        send(ex, 200, answer);
    }

    /**
     * A client assertion as Azure AD checks it (https://aka.ms/certCreds): a JWT whose x5t#S256 (or x5t) names the
     * certificate registered for the client, signed by its key; iss and sub the client id; aud this tenant's token
     * endpoint; within its valid time; a jti never seen before. Answers the refusal and returns false otherwise.
     */
    private boolean assertionAccepted(HttpExchange ex, String tenant, String clientId, App app, Map<String, String> form)
            throws IOException {
        if (!JWT_BEARER.equals(form.get("client_assertion_type")) || form.get("client_assertion") == null) {
            aadError(ex, 400, "invalid_request", 50027, "JWT token is invalid or malformed: client_assertion_type must be "
                    + JWT_BEARER + " with a client_assertion.");
            return false;
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(form.get("client_assertion"));
            claims = jwt.getJWTClaimsSet();
        } catch (java.text.ParseException e) {
            aadError(ex, 400, "invalid_request", 50027, "JWT token is invalid or malformed.");
            return false;
        }
        X509Certificate registered = app.certificate();
        String sha256 = registered == null ? null : thumbprint(registered, "SHA-256");
        String sha1 = registered == null ? null : thumbprint(registered, "SHA-1");
        Object headerS256 = jwt.getHeader().getCustomParam("x5t#S256");
        String sentS256 = headerS256 != null ? headerS256.toString()
                : jwt.getHeader().getX509CertSHA256Thumbprint() == null ? null : jwt.getHeader().getX509CertSHA256Thumbprint().toString();
        String sentSha1 = jwt.getHeader().getX509CertThumbprint() == null ? null : jwt.getHeader().getX509CertThumbprint().toString();
        String sent = sentS256 != null ? sentS256 : sentSha1;
        // msal4j writes the thumbprints in standard base64 (with padding), RFC 7515 says base64url: Azure AD takes both
        boolean keyFound = registered != null
                && (sentS256 == null || sameThumbprint(sentS256, sha256))
                && (sentSha1 == null || sameThumbprint(sentSha1, sha1));
        if (!keyFound) {
            aadError(ex, 401, "invalid_client", 700027, "Client assertion failed signature validation. [Reason - The key"
                    + " was not found., Thumbprint of key used by client: '" + sent + "', Please visit the Azure Portal, Graph"
                    + " Explorer or directly use MS Graph to see configured keys for app Id '" + clientId + "'.]");
            return false;
        }
        boolean signed;
        try {
            signed = (JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm()) || JWSAlgorithm.PS256.equals(jwt.getHeader().getAlgorithm()))
                    && jwt.verify(new com.nimbusds.jose.crypto.RSASSAVerifier((java.security.interfaces.RSAPublicKey) registered.getPublicKey()));
        } catch (JOSEException | ClassCastException e) {
            signed = false;
        }
        if (!signed) {
            aadError(ex, 401, "invalid_client", 700027, "Client assertion failed signature validation. [Reason - The"
                    + " provided signature value did not match the expected signature value., Thumbprint of key used by client: '"
                    + sent + "']");
            return false;
        }
        if (!clientId.equals(claims.getIssuer()) || !clientId.equals(claims.getSubject())) {
            aadError(ex, 401, "invalid_client", 700021, "Client assertion application identifier doesn't match"
                    + " 'client_id' parameter. Review the documentation at https://aka.ms/certCreds.");
            return false;
        }
        String tokenEndpoint = authorityHost() + "/" + tenant + "/oauth2/v2.0/token";
        if (claims.getAudience() == null || claims.getAudience().stream().noneMatch(tokenEndpoint::equalsIgnoreCase)) {
            aadError(ex, 401, "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer."
                    + " Review the documentation at https://aka.ms/certCreds.");
            return false;
        }
        Instant now = Instant.now();
        Date exp = claims.getExpirationTime();
        Date nbf = claims.getNotBeforeTime();
        if (exp == null || exp.toInstant().plusSeconds(ASSERTION_SKEW_SECONDS).isBefore(now)
                || (nbf != null && nbf.toInstant().minusSeconds(ASSERTION_SKEW_SECONDS).isAfter(now))) {
            aadError(ex, 401, "invalid_client", 700024, "Client assertion is not within its valid time range. Current"
                    + " time: " + now + ", assertion valid from " + (nbf == null ? "-" : nbf.toInstant()) + ", expiry time of"
                    + " assertion " + (exp == null ? "-" : exp.toInstant()) + ". Review the documentation at https://aka.ms/certCreds.");
            return false;
        }
        String jti = claims.getJWTID();
        if (jti == null || !usedAssertionIds.add(clientId + "|" + jti)) {
            aadError(ex, 401, "invalid_client", 50013, "Assertion is invalid: its jti " + (jti == null ? "is missing"
                    : "'" + jti + "' was already used (replay)") + ".");
            return false;
        }
        return true;
    }

    private static boolean sameThumbprint(String sent, String base64Url) {
        return sent.replace('+', '-').replace('/', '_').replace("=", "").equals(base64Url);
    }

    private static String thumbprint(X509Certificate certificate, String digest) {
        try {
            return com.nimbusds.jose.util.Base64URL.encode(java.security.MessageDigest.getInstance(digest)
                    .digest(certificate.getEncoded())).toString();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void aadError(HttpExchange ex, int status, String error, int code, String description) throws IOException {
        String traceId = UUID.randomUUID().toString();
        // Azure echoes the client's correlation id (msal4j sends client-request-id).
        String correlationId = ex.getRequestHeaders().getFirst("client-request-id");
        if (correlationId == null) {
            correlationId = UUID.randomUUID().toString();
        }
        String timestamp = AAD_TIMESTAMP.format(Instant.now());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("error_description", "AADSTS" + code + ": " + description + "\r\nTrace ID: " + traceId
                + "\r\nCorrelation ID: " + correlationId + "\r\nTimestamp: " + timestamp);
        body.put("error_codes", List.of(code));
        body.put("timestamp", timestamp);
        body.put("trace_id", traceId);
        body.put("correlation_id", correlationId);
        body.put("error_uri", authorityHost() + "/error?code=" + code);
        send(ex, status, body);
    }

    private static void send(HttpExchange ex, int status, Map<String, ?> json) throws IOException {
        byte[] bytes = JSONObjectUtils.toJSONString(json).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store, no-cache");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            form.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return form;
    }

    private static String appKey(String tenantId, String clientId) {
        return tenantId.toLowerCase(Locale.ROOT) + "|" + clientId;
    }

    private static RSAKey newRsaKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sign(RSAKey key, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID(key.getKeyID()).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
