package io.fhirlink.links;

import java.time.OffsetDateTime;

/**
 * A stored link to an organization's Azure FHIR server. The client secret is held decrypted only in memory (for
 * token requests) and is never serialised: {@link #toString()} leaves it out. {@code credential} is
 * {@code secret}, {@code certificate} or {@code platform} ({@link io.fhirlink.auth.LinkCredential}); for a certificate,
 * {@code clientSecret} holds the opened private key (PKCS#8 PEM) and {@code clientCertificate} the public chain (PEM);
 * for the platform application it is empty.
 */
public record Link(
        String displayName,
        String organization,
        String description,
        String endpoint,
        String tenantId,
        String clientId,
        String clientSecret,
        String fhirVersion,
        long version,
        OffsetDateTime createdAt,
        OffsetDateTime updatedAt,
        String credential,
        String clientCertificate) {

    /** Exchange property that holds the resolved link. */
    public static final String PROPERTY = "fhirlink.link";

    /** The Azure AD scope whose audience is the FHIR server itself. */
    public String scope() {
        return endpoint + "/.default";
    }

    @Override
    public String toString() {
        return "Link[" + displayName + " -> " + endpoint + ", organization=" + organization + ", version=" + version + "]";
    }
}
