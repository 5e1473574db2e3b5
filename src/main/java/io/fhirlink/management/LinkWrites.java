package io.fhirlink.management;

import io.fhirlink.auth.Caller;
import io.fhirlink.auth.LinkCredential;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.links.SecretCipher;
import io.fhirlink.links.SecretCipher.Sealed;
import java.sql.Date;
import java.util.Locale;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Binds a validated, probed registration to the named parameters of the routes' SQL statements, sealing the
 * client secret first: plaintext never reaches a statement, a row or a log.
 */
public final class LinkWrites {

    private final SecretCipher cipher;

    public LinkWrites(SecretCipher cipher) {
        this.cipher = cipher;
    }

    /** Route step: the caller's organization, for listing its links. */
    public void bindOrganization(Exchange exchange) {
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        exchange.getMessage().setHeader("organization", caller.organization());
    }

    /** Route step: the link named in the path, as seen by the caller's organization (others' links stay unseen). */
    public void bindOwnedLink(Exchange exchange) {
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        String name = exchange.getMessage().getHeader("name", String.class);
        exchange.getMessage().setHeader("displayName", name == null ? "" : name.toLowerCase(Locale.ROOT));
        exchange.getMessage().setHeader("organization", caller.organization());
    }

    /** Route step: the name to look up, before any slow work, so a taken name fails fast. */
    public void bindDisplayName(Exchange exchange) {
        RegistrationRequest request = exchange.getProperty(RegistrationRequest.PROPERTY, RegistrationRequest.class);
        exchange.getMessage().setHeader("displayName", request.displayName());
    }

    /** Route step after the look-up: 409 when the name is held by any link (names are global paths). */
    public void refuseTakenName(Exchange exchange) {
        if (exchange.getMessage().getHeader("existingLink") != null) {
            throw nameTaken(exchange.getProperty(RegistrationRequest.PROPERTY, RegistrationRequest.class).displayName());
        }
    }

    /** Route step before the insert. */
    public void bindNewLink(Exchange exchange) {
        Message message = bindProbedLink(exchange);
        message.setHeader("createdBy", exchange.getProperty(Caller.PROPERTY, Caller.class).subject());
    }

    /** Route step before the update of a re-probed link: the new settings, the secret sealed with the current key. */
    public void bindLinkUpdate(Exchange exchange) {
        bindProbedLink(exchange);
    }

    /** The probed settings as the statements' named parameters, with the secret sealed (nothing else kept). */
    private Message bindProbedLink(Exchange exchange) {
        RegistrationRequest request = exchange.getProperty(RegistrationRequest.PROPERTY, RegistrationRequest.class);
        CapabilityCheck capability = exchange.getProperty(CapabilityCheck.PROPERTY, CapabilityCheck.class);
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        Sealed secret = cipher.seal(request.displayName(), sealedMaterial(request));
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setBody(null);
        message.setHeader("displayName", request.displayName());
        message.setHeader("organization", caller.organization());
        message.setHeader("description", request.description());
        message.setHeader("endpoint", request.endpoint());
        message.setHeader("tenantId", request.tenantId());
        message.setHeader("clientId", request.clientId());
        message.setHeader("sealedSecret", secret.ciphertext());
        message.setHeader("secretKeyId", secret.keyId());
        message.setHeader("fhirVersion", capability == null ? null : capability.fhirVersion());
        message.setHeader("clientSecretExpiresOn",
                request.credentialExpiresOn() == null ? null : Date.valueOf(request.credentialExpiresOn()));
        message.setHeader("credential", request.credential());
        message.setHeader("clientCertificate", request.certificate() == null ? null : request.certificate().chainPem());
        return message;
    }

    /**
     * What is sealed in the secret's column: the secret, a certificate's private key (PKCS#8 PEM; the certificate
     * itself is public and stored beside it), or nothing for the platform application (whose credential is the
     * gateway's configuration, not the link's).
     */
    private static String sealedMaterial(RegistrationRequest request) {
        return switch (request.credential()) {
            case LinkCredential.CERTIFICATE -> request.certificate().keyPem();
            case LinkCredential.PLATFORM -> "";
            default -> request.clientSecret();
        };
    }

    /** Route step after the insert: no row back means another registration of the same name won the race. */
    public void confirmInserted(Exchange exchange) {
        if (exchange.getMessage().getBody() == null) {
            throw nameTaken(exchange.getProperty(RegistrationRequest.PROPERTY, RegistrationRequest.class).displayName());
        }
    }

    static GatewayException nameTaken(String name) {
        return new GatewayException(409, "duplicate", "Name taken",
                "The display name '" + name + "' is already used by another link; choose another fhirDatabaseDisplayName.");
    }
}
