package io.fhirlink.support;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Mints the Azure AD v1 access tokens apps get for a resource, signed with the key the FHIR stand-ins trust. */
final class AccessTokenIssuer {

    private final RSAKey signingKey = RsaSigning.newKey("upstream-" + UUID.randomUUID());
    private volatile int lifetimeSeconds = 3599;

    RSAKey publicKey() {
        return signingKey.toPublicJWK();
    }

    void setLifetimeSeconds(int seconds) {
        lifetimeSeconds = seconds;
    }

    /** The token endpoint's answer: the access token with its lifetime, as Azure AD words it. */
    Map<String, Object> tokenResponse(ServicePrincipal app, String resource) {
        int lifetime = lifetimeSeconds;
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .audience(resource)
                .issuer(AzureAdStandIn.upstreamIssuer(app.tenantId()))
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(lifetime)))
                .subject(app.objectId())
                .claim("tid", app.tenantId())
                .claim("appid", app.clientId())
                .claim("appidacr", "1")
                .claim("idtyp", "app")
                .claim("oid", app.objectId())
                .claim("ver", "1.0");
        if (app.fhirDataWriter()) {
            claims.claim("roles", List.of(AzureAdStandIn.FHIR_DATA_WRITER));
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("token_type", "Bearer");
        answer.put("expires_in", lifetime);
        answer.put("ext_expires_in", lifetime);
        answer.put("access_token", RsaSigning.sign(signingKey, claims.build()));
        return answer;
    }
}
