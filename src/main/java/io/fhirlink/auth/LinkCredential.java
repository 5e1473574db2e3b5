package io.fhirlink.auth;

import com.microsoft.aad.msal4j.ClientCredentialFactory;
import com.microsoft.aad.msal4j.IClientCredential;

/**
 * How the gateway proves itself to Azure AD for a link (the link's {@code credential}): the organization's application
 * with a client secret, the organization's application with a certificate (a signed client assertion), or the
 * platform's own multi-tenant application ({@link PlatformApplication}) in the organization's tenant.
 */
public sealed interface LinkCredential {

    /** The link field {@code credential}'s values. */
    String SECRET = "secret";
    String CERTIFICATE = "certificate";
    String PLATFORM = "platform";

    String clientId();

    /** What msal4j signs in with. */
    IClientCredential msal();

    /** Which of {@link #SECRET}, {@link #CERTIFICATE}, {@link #PLATFORM} this is. */
    String kind();

    record Secret(String clientId, String secret) implements LinkCredential {
        public IClientCredential msal() {
            return ClientCredentialFactory.createFromSecret(secret);
        }

        public String kind() {
            return SECRET;
        }

        @Override
        public String toString() {
            return "Secret[" + clientId + "]";
        }
    }

    record Certificate(String clientId, ClientCertificate certificate) implements LinkCredential {
        public IClientCredential msal() {
            return ClientCredentialFactory.createFromCertificate(certificate.privateKey(), certificate.certificate());
        }

        public String kind() {
            return CERTIFICATE;
        }

        @Override
        public String toString() {
            return "Certificate[" + clientId + ", " + certificate + "]";
        }
    }

    /** The platform application's own credential (a secret or a certificate), used in the organization's tenant. */
    record Platform(LinkCredential own) implements LinkCredential {
        public String clientId() {
            return own.clientId();
        }

        public IClientCredential msal() {
            return own.msal();
        }

        public String kind() {
            return PLATFORM;
        }
    }
}
