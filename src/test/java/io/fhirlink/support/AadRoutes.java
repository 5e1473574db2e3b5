package io.fhirlink.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dispatches the Azure AD stand-in's requests: the token endpoint, the caller JWKS and each tenant's OpenID
 * metadata. While the service is unavailable every request gets 503, as during an Azure AD outage.
 */
final class AadRoutes implements HttpHandler {

    private static final Pattern TOKEN_PATH = Pattern.compile("^/([^/]+)/oauth2/v2\\.0/token$");
    private static final Pattern OIDC_PATH = Pattern.compile("^/([^/]+)/v2\\.0/\\.well-known/openid-configuration$");

    private final ClientCredentialsGrant grant;
    private final CallerDiscovery discovery;
    private final AadResponses responses;
    private final AadTraffic traffic;
    private volatile boolean available = true;

    AadRoutes(ClientCredentialsGrant grant, CallerDiscovery discovery, AadResponses responses, AadTraffic traffic) {
        this.grant = grant;
        this.discovery = discovery;
        this.responses = responses;
        this.traffic = traffic;
    }

    void setAvailable(boolean available) {
        this.available = available;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            Matcher token = TOKEN_PATH.matcher(path);
            boolean isToken = token.matches() && "POST".equals(method);
            byte[] body = ex.getRequestBody().readAllBytes();
            if (isToken) {
                // counted even in an outage: tests check how often the gateway tried
                traffic.countTokenRequest();
            }
            if (!available) {
                AadResponses.send(ex, 503, Map.of("error", "temporarily_unavailable",
                        "error_description", "The service is temporarily unavailable."));
                return;
            }
            if (isToken) {
                token(ex, token.group(1), new String(body, StandardCharsets.UTF_8));
            } else if (AadUrls.JWKS_PATH.equals(path) && "GET".equals(method)) {
                traffic.countJwksRequest();
                AadResponses.send(ex, 200, discovery.jwks());
            } else if (OIDC_PATH.matcher(path).matches() && "GET".equals(method)) {
                AadResponses.send(ex, 200, discovery.openIdConfiguration(path.split("/")[1]));
            } else {
                AadResponses.send(ex, 404, Map.of("error", "not_found",
                        "error_description", "No such endpoint: " + method + " " + path));
            }
        } catch (RuntimeException e) {
            // The JDK server would just drop the connection; log so a stand-in bug is visible in test output.
            System.getLogger(AzureAdStandIn.class.getName()).log(Level.ERROR, "AAD stand-in failed", e);
            throw e;
        }
    }

    private void token(HttpExchange ex, String tenant, String body) throws IOException {
        Map<String, String> form = new LinkedHashMap<>();
        UrlEncodedPairs.forEach(body, form::put);
        traffic.recordTokenForm(form);
        try {
            AadResponses.send(ex, 200, grant.tokenResponse(tenant, form));
        } catch (AadRefusal refusal) {
            responses.refuse(ex, refusal);
        }
    }
}
