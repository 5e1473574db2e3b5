package io.fhirlink.management;

import io.fhirlink.auth.ClientCertificate;
import io.fhirlink.auth.LinkCredential;
import io.fhirlink.auth.PlatformApplication;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * A validated registration body. {@code endpoint} is normalised: no trailing slash, no {@code /metadata};
 * {@code clientSecretExpiresOn} is optional (null). {@code credential} is {@code secret} (with {@code clientSecret}),
 * {@code certificate} (with {@code certificate}, read and checked) or {@code platform} (with neither; {@code clientId}
 * is the platform application's).
 * The secret and the key stay out of {@link #toString()} so they cannot reach a log by accident.
 */
public record RegistrationRequest(
        String displayName,
        String description,
        String endpoint,
        String clientId,
        String clientSecret,
        String tenantId,
        LocalDate clientSecretExpiresOn,
        String credential,
        ClientCertificate certificate) {

    /** Exchange property that holds the request while the route works on it. */
    public static final String PROPERTY = "fhirlink.registration";

    /** A request with a client secret (as before certificates and the platform application). */
    public RegistrationRequest(String displayName, String description, String endpoint, String clientId,
            String clientSecret, String tenantId, LocalDate clientSecretExpiresOn) {
        this(displayName, description, endpoint, clientId, clientSecret, tenantId, clientSecretExpiresOn,
                LinkCredential.SECRET, null);
    }

    /** The same request for another tenant (the probe resolves it). */
    public RegistrationRequest withTenant(String tenant) {
        return new RegistrationRequest(displayName, description, endpoint, clientId, clientSecret, tenant,
                clientSecretExpiresOn, credential, certificate);
    }

    /** What the probe signs in with. */
    public LinkCredential linkCredential(Optional<PlatformApplication> platform) {
        return switch (credential) {
            case LinkCredential.CERTIFICATE -> new LinkCredential.Certificate(clientId, certificate);
            case LinkCredential.PLATFORM -> platform.orElseThrow().credential();
            default -> new LinkCredential.Secret(clientId, clientSecret);
        };
    }

    /** The secret's end date as sent, or the certificate's notAfter (UTC date): what the expiry warnings read. */
    public LocalDate credentialExpiresOn() {
        return certificate != null ? certificate.notAfter().atZone(ZoneOffset.UTC).toLocalDate() : clientSecretExpiresOn;
    }

    @Override
    public String toString() {
        return "RegistrationRequest[" + displayName + " -> " + endpoint + ", clientId=" + clientId + ", credential=" + credential + "]";
    }
}
