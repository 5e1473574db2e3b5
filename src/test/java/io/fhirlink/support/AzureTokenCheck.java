package io.fhirlink.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.util.Date;
import java.util.List;

/** Azure FHIR's checks of a bearer token: signature by Azure AD, lifetime, this tenant's issuer, audience, role. */
final class AzureTokenCheck {

    enum Verdict { OK, UNAUTHENTICATED, WRONG_AUDIENCE, FORBIDDEN }

    /** Azure tolerates a token that becomes valid up to a minute from now (clock skew). */
    private static final long NOT_BEFORE_SKEW_MILLIS = 60_000;

    private final RSAKey azureAdKey;
    private final String issuer;
    private final String audience;

    AzureTokenCheck(RSAKey azureAdKey, String tenantId, String audience) {
        this.azureAdKey = azureAdKey;
        this.issuer = AzureAdStandIn.upstreamIssuer(tenantId);
        this.audience = audience;
    }

    Verdict check(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Verdict.UNAUTHENTICATED;
        }
        try {
            SignedJWT jwt = SignedJWT.parse(authorization.substring(7).trim());
            if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(new RSASSAVerifier(azureAdKey))) {
                return Verdict.UNAUTHENTICATED;
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            Date now = new Date();
            Date notBefore = claims.getNotBeforeTime();
            if (claims.getExpirationTime() == null || !claims.getExpirationTime().after(now)
                    || (notBefore != null && notBefore.getTime() > now.getTime() + NOT_BEFORE_SKEW_MILLIS)
                    || !issuer.equals(claims.getIssuer())) {
                return Verdict.UNAUTHENTICATED;
            }
            if (!claims.getAudience().contains(audience)) {
                return Verdict.WRONG_AUDIENCE;
            }
            List<String> roles = claims.getStringListClaim("roles");
            return roles != null && roles.contains(AzureAdStandIn.FHIR_DATA_WRITER) ? Verdict.OK : Verdict.FORBIDDEN;
        } catch (ParseException | JOSEException e) {
            return Verdict.UNAUTHENTICATED;
        }
    }
}
