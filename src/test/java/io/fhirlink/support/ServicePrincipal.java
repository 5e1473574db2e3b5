package io.fhirlink.support;

import java.security.cert.X509Certificate;
import java.util.UUID;

/**
 * An application's service principal in a tenant: its credentials (a secret, a certificate, or both, as the app
 * registration holds them), whether it has the FHIR Data Writer role there (the FHIR stand-in reads the token's
 * roles), and its object id.
 */
record ServicePrincipal(String tenantId, String clientId, String clientSecret, X509Certificate certificate,
        boolean fhirDataWriter, String objectId) {

    /** A principal just created in its tenant: every one gets an object id of its own. */
    static ServicePrincipal create(String tenantId, String clientId, String clientSecret, X509Certificate certificate,
            boolean fhirDataWriter) {
        return new ServicePrincipal(tenantId, clientId, clientSecret, certificate, fhirDataWriter, UUID.randomUUID().toString());
    }

    ServicePrincipal withCertificate(X509Certificate newCertificate) {
        return new ServicePrincipal(tenantId, clientId, clientSecret, newCertificate, fhirDataWriter, objectId);
    }

    ServicePrincipal withRole(boolean writer) {
        return new ServicePrincipal(tenantId, clientId, clientSecret, certificate, writer, objectId);
    }
}
