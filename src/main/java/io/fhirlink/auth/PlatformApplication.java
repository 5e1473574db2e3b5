package io.fhirlink.auth;

import io.fhirlink.config.ConfigurationException;
import io.fhirlink.config.Settings;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * The platform's own multi-tenant Azure AD application ({@code FHIRLINK_PLATFORM_CLIENT_ID} with
 * {@code FHIRLINK_PLATFORM_CLIENT_CERTIFICATE} or {@code FHIRLINK_PLATFORM_CLIENT_SECRET}), for links with
 * {@code "credential": "platform"}: an organization's administrator consents to it in their tenant (which creates its
 * service principal there) and gives that service principal the FHIR Data Writer role; no secret changes hands.
 */
public final class PlatformApplication {

    private final LinkCredential.Platform credential;
    private final URI authorityHost;

    private PlatformApplication(LinkCredential own, URI authorityHost) {
        this.credential = new LinkCredential.Platform(own);
        this.authorityHost = authorityHost;
    }

    /** Empty when no platform application is configured; the certificate file is read and checked here, at start. */
    public static Optional<PlatformApplication> fromSettings(Settings settings, Clock clock) {
        if (settings.platformClientId().isEmpty()) {
            return Optional.empty();
        }
        String clientId = settings.platformClientId().get();
        if (settings.platformClientCertificate().isPresent()) {
            Path file = settings.platformClientCertificate().get();
            String pem;
            try {
                pem = Files.readString(file, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new ConfigurationException("FHIRLINK_PLATFORM_CLIENT_CERTIFICATE names a file that cannot be read: " + file);
            }
            ClientCertificate certificate;
            try {
                certificate = ClientCertificate.read(pem, null, clock.instant());
            } catch (ClientCertificate.Unusable e) {
                throw new ConfigurationException("FHIRLINK_PLATFORM_CLIENT_CERTIFICATE (" + file + ") " + e.getMessage());
            }
            return Optional.of(new PlatformApplication(new LinkCredential.Certificate(clientId, certificate), settings.aadAuthorityHost()));
        }
        return Optional.of(new PlatformApplication(
                new LinkCredential.Secret(clientId, settings.platformClientSecret().orElseThrow()), settings.aadAuthorityHost()));
    }

    public String clientId() {
        return credential.clientId();
    }

    public LinkCredential.Platform credential() {
        return credential;
    }

    /** Where an administrator of {@code tenant} grants the platform application consent (creating its service principal). */
    public String adminConsentUrl(String tenant) {
        return authorityHost + "/" + tenant + "/adminconsent?client_id=" + clientId();
    }

    /** The certificate the platform signs in with, if it uses one (for its expiry; never its key). */
    public Optional<ClientCertificate> certificate() {
        return credential.own() instanceof LinkCredential.Certificate c ? Optional.of(c.certificate()) : Optional.empty();
    }
}
