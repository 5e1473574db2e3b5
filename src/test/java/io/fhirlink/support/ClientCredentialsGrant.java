package io.fhirlink.support;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/** The client-credentials grant with Azure AD's checks, in Azure's order: tenant, application, credential, scope. */
final class ClientCredentialsGrant {

    private final AadDirectory directory;
    private final ClientAssertionVerifier assertions;
    private final AccessTokenIssuer tokens;

    ClientCredentialsGrant(AadDirectory directory, ClientAssertionVerifier assertions, AccessTokenIssuer tokens) {
        this.directory = directory;
        this.assertions = assertions;
        this.tokens = tokens;
    }

    /** The token answer for a POSTed form to {@code tenant}'s token endpoint. */
    Map<String, Object> tokenResponse(String tenant, Map<String, String> form) throws AadRefusal {
        if (!"client_credentials".equals(form.get("grant_type"))) {
            throw new AadRefusal(400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '" + form.get("grant_type") + "'.");
        }
        String clientId = form.getOrDefault("client_id", "");
        ServicePrincipal app = principal(tenant, clientId);
        if (form.containsKey("client_assertion") || form.containsKey("client_assertion_type")) {
            assertions.verify(tenant, clientId, app, form);
        } else {
            verifySecret(clientId, app, form.get("client_secret"));
        }
        return tokens.tokenResponse(app, resource(form.get("scope")));
    }

    private ServicePrincipal principal(String tenant, String clientId) throws AadRefusal {
        if (!directory.hasTenant(tenant)) {
            throw new AadRefusal(400, "invalid_request", 90002, "Tenant '" + tenant + "' not found. Check to make sure you"
                    + " have the correct tenant ID and are signing into the correct cloud. Check with your subscription "
                    + "administrator, this may happen if there are no active subscriptions for the tenant.");
        }
        ServicePrincipal app = directory.principal(tenant, clientId);
        if (app == null) {
            throw new AadRefusal(400, "unauthorized_client", 700016, "Application with identifier '" + clientId + "' was"
                    + " not found in the directory '" + tenant + "'. This can happen if the application has not been"
                    + " installed by the administrator of the tenant or consented to by any user in the tenant. You may"
                    + " have sent your authentication request to the wrong tenant.");
        }
        return app;
    }

    private void verifySecret(String clientId, ServicePrincipal app, String secret) throws AadRefusal {
        if (app.clientSecret() == null || !app.clientSecret().equals(secret)) {
            throw new AadRefusal(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being"
                    + " sent in the request is the client secret value, not the client secret ID, for a secret added to"
                    + " app '" + clientId + "'.");
        }
        if (directory.secretExpired(clientId)) {
            throw new AadRefusal(401, "invalid_client", 7000222, "The provided client secret keys for app '" + clientId
                    + "' are expired. Visit the Azure portal to create new keys for your app: "
                    + "https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: "
                    + "https://aka.ms/certCreds.");
        }
    }

    /** msal4j may add openid/profile/offline_access to the scope; the resource is the one ending in /.default. */
    private static String resource(String scope) throws AadRefusal {
        return Arrays.stream(Objects.requireNonNullElse(scope, "").split(" "))
                .filter(s -> s.endsWith("/.default"))
                .map(s -> s.substring(0, s.length() - "/.default".length()))
                .findFirst()
                .orElseThrow(() -> new AadRefusal(400, "invalid_scope", 1002012, "The provided value for scope " + scope
                        + " is not valid. Client credential flows must have a scope value with /.default suffixed to"
                        + " the resource identifier (application ID URI)."));
    }
}
