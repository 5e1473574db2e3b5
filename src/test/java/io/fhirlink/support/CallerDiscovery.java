package io.fhirlink.support;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.List;
import java.util.Map;

/** The documents a verifier of caller tokens fetches: the JWKS with the caller key, and a tenant's OpenID metadata. */
final class CallerDiscovery {

    private final AadUrls urls;
    private final RSAKey callerKey;

    CallerDiscovery(AadUrls urls, RSAKey callerKey) {
        this.urls = urls;
        this.callerKey = callerKey;
    }

    Map<String, Object> jwks() {
        return new JWKSet(callerKey.toPublicJWK()).toJSONObject(true);
    }

    Map<String, Object> openIdConfiguration(String tid) {
        return Map.of(
                "issuer", urls.callerIssuer(tid),
                "jwks_uri", urls.jwks(),
                "token_endpoint", urls.tokenEndpoint(tid),
                "id_token_signing_alg_values_supported", List.of("RS256"));
    }
}
