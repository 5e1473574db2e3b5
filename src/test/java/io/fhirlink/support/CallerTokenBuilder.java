package io.fhirlink.support;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Builds the tokens callers present to the gateway, valid by default (RS256 with the published key, aud
 * {@value AzureAdStandIn#CALLER_AUDIENCE}, an hour); each setter makes one thing wrong on purpose.
 */
public final class CallerTokenBuilder {

    private final Map<String, Object> extraClaims = new LinkedHashMap<>();
    private final RSAKey publishedKey;
    private final String tid;
    private final String subject;
    private String audience = AzureAdStandIn.CALLER_AUDIENCE;
    private String issuer;
    private Instant notBefore = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private Instant expiresAt = notBefore.plus(1, ChronoUnit.HOURS);
    private RSAKey signingKey;

    CallerTokenBuilder(RSAKey publishedKey, String issuer, String tid, String subject) {
        this.publishedKey = publishedKey;
        this.signingKey = publishedKey;
        this.issuer = issuer;
        this.tid = tid;
        this.subject = subject;
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
        this.signingKey = RsaSigning.newKey("unknown-" + UUID.randomUUID());
        return this;
    }

    /** Signs with a foreign key but claims the published kid: only the signature check catches it. */
    public CallerTokenBuilder forgedWithKnownKid() {
        this.signingKey = RsaSigning.newKey(publishedKey.getKeyID());
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
        return RsaSigning.sign(signingKey, claims.build());
    }
}
