package io.fhirlink.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.fhirlink.config.Settings;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.fhir.FhirRequest;
import java.net.MalformedURLException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLContext;
import org.apache.camel.Exchange;

/**
 * Validates the caller's {@code Authorization: Bearer} JWT: RS256 signature against the configured JWKS (fetched on
 * first use, cached, refetched when an unknown key id appears, so key rotation is honoured), issuer, audience,
 * expiry and not-before. The organization is the configured claim ({@code tid}).
 */
public final class CallerAuthenticator {

    private static final String TID_PLACEHOLDER = "{tid}";

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    /**
     * Tokens already verified, until they expire (at most five minutes): a client sends the same token with every
     * request, and an RSA signature check per request would cost more than the rest of the proxying.
     */
    private final Cache<String, Verified> verified = Caffeine.newBuilder()
            .maximumSize(10_000)
            .executor(Runnable::run) // upkeep on the reading thread, not a common-pool thread woken for it
            .expireAfterWrite(Duration.ofMinutes(5))
            .build();

    private record Verified(Caller caller, Instant expiresAt) {
        boolean stillValid() {
            return Instant.now().isBefore(expiresAt);
        }
    }
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final Workers workers;
    private final List<String> issuerTemplates;
    private final String organizationClaim;

    public CallerAuthenticator(Settings settings, SSLContext outboundTls, Workers workers) {
        this.workers = workers;
        this.issuerTemplates = settings.callerIssuers();
        this.organizationClaim = settings.organizationClaim();
        DefaultResourceRetriever retriever = new DefaultResourceRetriever(
                settings.upstreamConnectTimeoutMs(), settings.upstreamConnectTimeoutMs(), 512 * 1024, true,
                outboundTls.getSocketFactory());
        JWKSource<SecurityContext> keys;
        try {
            keys = JWKSourceBuilder.create(settings.callerJwksUrl().toURL(), retriever)
                    .retrying(true)
                    .build();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("FHIRLINK_CALLER_JWKS_URL", e);
        }
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(
                Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.ES256), keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                settings.callerAudience(),
                new JWTClaimsSet.Builder().build(),
                Set.of("iss", "exp", organizationClaim)));
    }

    /** Route step: the caller must present a valid token. */
    public void authenticate(Exchange exchange) {
        exchange.setProperty(Caller.PROPERTY, verify(exchange.getMessage().getHeader("Authorization", String.class)));
    }

    /**
     * Route step for FHIR paths, on the event loop. A request {@link LinkAccess} lets through anonymously needs no
     * token; a token, when present, must still be valid, so the link's ownership can be checked. A token verified
     * before is answered from memory; a new one is verified on a worker (its signing keys may have to be fetched).
     */
    public CompletionStage<Void> authenticateFhirCaller(Exchange exchange) {
        FhirRequest request = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class);
        String header = exchange.getMessage().getHeader("Authorization", String.class);
        if (header == null && LinkAccess.isAnonymous(request)) {
            return DONE;
        }
        Caller known = remembered(header);
        if (known != null) {
            exchange.setProperty(Caller.PROPERTY, known);
            return DONE;
        }
        return workers.run(() -> verify(header)).thenAccept(caller -> exchange.setProperty(Caller.PROPERTY, caller));
    }

    /** The caller of a token verified before and not yet expired, else null. */
    private Caller remembered(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        Verified known = verified.getIfPresent(authorization.substring(7).trim());
        return known != null && known.stillValid() ? known.caller() : null;
    }

    public Caller verify(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw GatewayException.unauthenticated("A bearer token is required: send 'Authorization: Bearer <token>'.");
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw GatewayException.unauthenticated("Only bearer tokens are accepted: send 'Authorization: Bearer <token>'.");
        }
        String token = authorization.substring(7).trim();
        Verified known = verified.getIfPresent(token);
        if (known != null && known.stillValid()) {
            return known.caller();
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw GatewayException.unauthenticated("The bearer token is not a JWT.");
        } catch (BadJOSEException e) {
            throw GatewayException.unauthenticated("The bearer token was rejected: " + plain(e.getMessage()) + ".");
        } catch (JOSEException e) {
            throw GatewayException.unauthenticated("The bearer token could not be verified (signing keys unavailable).");
        }
        String organization = stringClaim(claims, organizationClaim);
        if (organization == null || organization.isBlank()) {
            throw GatewayException.unauthenticated("The bearer token has no '" + organizationClaim + "' claim.");
        }
        // {tid} stands for the token's own tenant, whichever claim names the organization.
        if (!issuerAccepted(claims.getIssuer(), stringClaim(claims, "tid"))) {
            throw GatewayException.unauthenticated("The bearer token's issuer is not accepted.");
        }
        String subject = claims.getSubject() != null ? claims.getSubject() : stringClaim(claims, "oid");
        Caller caller = new Caller(organization, subject == null ? "unknown" : subject);
        verified.put(token, new Verified(caller, claims.getExpirationTime().toInstant()));
        return caller;
    }

    private boolean issuerAccepted(String issuer, String tid) {
        for (String template : issuerTemplates) {
            if (template.contains(TID_PLACEHOLDER) && (tid == null || tid.isBlank())) {
                continue;
            }
            if (template.replace(TID_PLACEHOLDER, tid == null ? "" : tid).equals(issuer)) {
                return true;
            }
        }
        return false;
    }

    private static String stringClaim(JWTClaimsSet claims, String name) {
        Object value = claims.getClaim(name);
        return value instanceof String s ? s : null;
    }

    /** nimbus messages name claims and reasons, never token contents; keep them to one sentence. */
    private static String plain(String message) {
        if (message == null) {
            return "invalid";
        }
        String m = message.endsWith(".") ? message.substring(0, message.length() - 1) : message;
        return m.length() > 200 ? m.substring(0, 200) : m;
    }
}
