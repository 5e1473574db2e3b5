package io.fhirlink.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client assertion as Azure AD checks it (https://aka.ms/certCreds): a JWT whose x5t#S256 (or x5t) names the
 * certificate registered for the client, signed by its key; iss and sub the client id; aud this tenant's token
 * endpoint; within its valid time; a jti never seen before.
 */
final class ClientAssertionVerifier {

    /** Azure AD accepts client assertions a few minutes past their times (clock skew). */
    private static final long SKEW_SECONDS = 300;

    private final AadUrls urls;
    /** Client assertion ids seen, per client id: a replayed assertion is refused. */
    private final Set<String> usedAssertionIds = ConcurrentHashMap.newKeySet();

    ClientAssertionVerifier(AadUrls urls) {
        this.urls = urls;
    }

    void verify(String tenant, String clientId, ServicePrincipal app, Map<String, String> form) throws AadRefusal {
        if (!AzureAdStandIn.JWT_BEARER.equals(form.get("client_assertion_type")) || form.get("client_assertion") == null) {
            throw new AadRefusal(400, "invalid_request", 50027, "JWT token is invalid or malformed: client_assertion_type "
                    + "must be " + AzureAdStandIn.JWT_BEARER + " with a client_assertion.");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(form.get("client_assertion"));
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new AadRefusal(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
        }
        verifyKey(clientId, app.certificate(), jwt);
        if (!clientId.equals(claims.getIssuer()) || !clientId.equals(claims.getSubject())) {
            throw new AadRefusal(401, "invalid_client", 700021, "Client assertion application identifier doesn't match"
                    + " 'client_id' parameter. Review the documentation at https://aka.ms/certCreds.");
        }
        String tokenEndpoint = urls.tokenEndpoint(tenant);
        if (claims.getAudience() == null || claims.getAudience().stream().noneMatch(tokenEndpoint::equalsIgnoreCase)) {
            throw new AadRefusal(401, "invalid_client", 700023, "Client assertion audience claim does not match Realm"
                    + " issuer. Review the documentation at https://aka.ms/certCreds.");
        }
        verifyTimes(claims.getNotBeforeTime(), claims.getExpirationTime());
        String jti = claims.getJWTID();
        if (jti == null || !usedAssertionIds.add(clientId + "|" + jti)) {
            throw new AadRefusal(401, "invalid_client", 50013, "Assertion is invalid: its jti " + (jti == null ? "is missing"
                    : "'" + jti + "' was already used (replay)") + ".");
        }
    }

    /** The thumbprints sent must name the registered certificate, and its key must have made the signature. */
    private static void verifyKey(String clientId, X509Certificate registered, SignedJWT jwt) throws AadRefusal {
        JWSHeader header = jwt.getHeader();
        Object customS256 = header.getCustomParam("x5t#S256");
        String sentS256 = customS256 != null ? customS256.toString()
                : header.getX509CertSHA256Thumbprint() == null ? null : header.getX509CertSHA256Thumbprint().toString();
        String sentSha1 = header.getX509CertThumbprint() == null ? null : header.getX509CertThumbprint().toString();
        String sent = sentS256 != null ? sentS256 : sentSha1;
        boolean keyFound = registered != null
                && (sentS256 == null || sameThumbprint(sentS256, thumbprint(registered, "SHA-256")))
                && (sentSha1 == null || sameThumbprint(sentSha1, thumbprint(registered, "SHA-1")));
        if (!keyFound) {
            throw new AadRefusal(401, "invalid_client", 700027, "Client assertion failed signature validation. [Reason -"
                    + " The key was not found., Thumbprint of key used by client: '" + sent + "', Please visit the Azure"
                    + " Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '" + clientId + "'.]");
        }
        if (!signedBy(registered, jwt)) {
            throw new AadRefusal(401, "invalid_client", 700027, "Client assertion failed signature validation. [Reason -"
                    + " The provided signature value did not match the expected signature value., Thumbprint of key used"
                    + " by client: '" + sent + "']");
        }
    }

    private static boolean signedBy(X509Certificate certificate, SignedJWT jwt) {
        JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
        try {
            return (JWSAlgorithm.RS256.equals(algorithm) || JWSAlgorithm.PS256.equals(algorithm))
                    && jwt.verify(new RSASSAVerifier((RSAPublicKey) certificate.getPublicKey()));
        } catch (JOSEException | ClassCastException e) {
            return false;
        }
    }

    private static void verifyTimes(Date nbf, Date exp) throws AadRefusal {
        Instant now = Instant.now();
        if (exp == null || exp.toInstant().plusSeconds(SKEW_SECONDS).isBefore(now)
                || (nbf != null && nbf.toInstant().minusSeconds(SKEW_SECONDS).isAfter(now))) {
            throw new AadRefusal(401, "invalid_client", 700024, "Client assertion is not within its valid time range."
                    + " Current time: " + now + ", assertion valid from " + (nbf == null ? "-" : nbf.toInstant())
                    + ", expiry time of assertion " + (exp == null ? "-" : exp.toInstant())
                    + ". Review the documentation at https://aka.ms/certCreds.");
        }
    }

    /** msal4j writes the thumbprints in standard base64 (with padding), RFC 7515 says base64url: Azure AD takes both. */
    private static boolean sameThumbprint(String sent, String base64Url) {
        return sent.replace('+', '-').replace('/', '_').replace("=", "").equals(base64Url);
    }

    private static String thumbprint(X509Certificate certificate, String digest) {
        try {
            return Base64URL.encode(MessageDigest.getInstance(digest).digest(certificate.getEncoded())).toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
