package io.fhirlink.support;

import java.util.HashMap;
import java.util.Map;

/** The FHIRLINK_* variables that point a gateway at the stand-ins, as an operator would set them. */
public final class StandInVariables {

    private StandInVariables() {
    }

    /**
     * Azure AD and caller tokens from {@code aad}, the test certificate trusted, and link endpoints allowed on
     * this machine's loopback addresses (where the stand-ins listen).
     */
    public static Map<String, String> pointingAt(AzureAdStandIn aad) {
        Map<String, String> env = new HashMap<>();
        env.put("FHIRLINK_AAD_AUTHORITY_HOST", aad.authorityHost());
        env.put("FHIRLINK_CALLER_JWKS_URL", aad.jwksUrl());
        env.put("FHIRLINK_CALLER_ISSUERS", aad.callerIssuer("{tid}"));
        env.put("FHIRLINK_ALLOWED_FHIR_HOSTS", "127.0.0.1,localhost");
        env.put("FHIRLINK_ALLOW_PRIVATE_ADDRESSES", "true");
        env.put("FHIRLINK_TRUSTSTORE", TestCertificates.trustPem().toString());
        return env;
    }
}
