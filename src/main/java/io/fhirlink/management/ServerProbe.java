package io.fhirlink.management;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.auth.Caller;
import io.fhirlink.auth.LinkCredential;
import io.fhirlink.auth.PlatformApplication;
import io.fhirlink.auth.UpstreamTokens;
import io.fhirlink.auth.UpstreamTokens.AccessToken;
import io.fhirlink.failure.AzureAdRefusal;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.failure.GatewayException.FieldError;
import io.fhirlink.failure.UpstreamFailures;
import io.fhirlink.ops.LinkState;
import io.fhirlink.proxy.UpstreamRequest;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The registration probe, in the order the route calls it: read the anonymous CapabilityStatement, resolve the
 * tenant, take a client-credentials token, and make one small authenticated read. Each failure is a 400 that
 * says what to fix, in the user's terms (Azure portal settings), not ours.
 */
public final class ServerProbe {

    static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
    private static final int MAX_CAPABILITY_BYTES = 8 * 1024 * 1024;
    private static final String TOKEN_PROPERTY = "fhirlink.probeToken";

    private final ObjectMapper json;
    private final UpstreamTokens tokens;
    private final Optional<PlatformApplication> platform;

    public ServerProbe(ObjectMapper json, UpstreamTokens tokens) {
        this(json, tokens, Optional.empty());
    }

    public ServerProbe(ObjectMapper json, UpstreamTokens tokens, Optional<PlatformApplication> platform) {
        this.json = json;
        this.tokens = tokens;
        this.platform = platform;
    }

    /** Route step before {@code GET {endpoint}/metadata}. */
    public void prepareCapabilityRead(Exchange exchange) {
        exchange.setProperty(UpstreamRequest.UPSTREAM_BASE, registration(exchange).endpoint());
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setBody(null);
        message.setHeader(Exchange.HTTP_METHOD, "GET");
        message.setHeader("Accept", "application/fhir+json");
    }

    /** Route step after it: must be a FHIR CapabilityStatement. */
    public void checkCapabilityStatement(Exchange exchange) throws Exception {
        RegistrationRequest request = registration(exchange);
        int status = status(exchange);
        String where = request.endpoint() + "/metadata";
        if (status < 200 || status > 299) {
            throw probeFailed(exchange, LinkState.UNREACHABLE, "metadata-http-" + status, "The server at " + where + " answered HTTP " + status
                    + " instead of a FHIR CapabilityStatement. Check fhirServerEndpoint: it is the FHIR service URL shown in the Azure portal, e.g. https://<workspace>-<service>.fhir.azurehealthcareapis.com.");
        }
        JsonNode capability;
        try (InputStream body = exchange.getMessage().getBody(InputStream.class)) {
            capability = body == null ? null : json.readTree(body.readNBytes(MAX_CAPABILITY_BYTES));
        } catch (IOException e) {
            capability = null;
        }
        if (capability == null || !"CapabilityStatement".equals(capability.path("resourceType").asText())) {
            throw probeFailed(exchange, LinkState.UNREACHABLE, "not-fhir", "The server at " + where + " did not answer with a FHIR CapabilityStatement, so it is not a FHIR server. Check fhirServerEndpoint.");
        }
        String fhirVersion = capability.path("fhirVersion").asText(null);
        exchange.setProperty(CapabilityCheck.PROPERTY, new CapabilityCheck(fhirVersion, advertisedTenant(capability)));
    }

    /**
     * Route step when a probe call got no answer at all (refused, unknown host, TLS, timeout): that is the
     * registered endpoint's fault, so a 400 that names it, not the proxy's 502/504.
     */
    public void unreachable(Exchange exchange) {
        String endpoint = registration(exchange).endpoint();
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        boolean slow = UpstreamFailures.isResponseTimeout(failure);
        String why = slow ? "did not answer in time"
                : "could not be reached (" + UpstreamFailures.unreachableReason(failure) + ")";
        throw probeFailed(exchange, LinkState.UNREACHABLE, slow ? "timeout" : "unreachable", "The FHIR server at " + endpoint + " " + why + ", so it could not be checked (a registration or update is not saved). "
                + "Check fhirServerEndpoint and that the FHIR service is running and reachable from the gateway.");
    }

    /**
     * Route step before {@link #resolveTenant}: a {@code tenantId} in the body must be the tenant the FHIR server
     * advertises, when it advertises one. Otherwise organization B could link organization A's server with B's own
     * application and tenant, and only the FHIR server's token check would stop it. A verified domain
     * ({@code contoso.onmicrosoft.com}) for the advertised GUID is refused too: which tenant a domain names is Azure
     * AD's to say, and leaving {@code tenantId} out uses the advertised one anyway.
     */
    public void refuseOtherTenant(Exchange exchange) {
        RegistrationRequest request = registration(exchange);
        CapabilityCheck capability = exchange.getProperty(CapabilityCheck.PROPERTY, CapabilityCheck.class);
        if (request.tenantId() == null || capability == null || capability.advertisedTenant().isEmpty()) {
            return;
        }
        String advertised = capability.advertisedTenant().get();
        if (!advertised.equalsIgnoreCase(request.tenantId())) {
            String message = "is " + request.tenantId() + ", but the FHIR server at " + request.endpoint()
                    + " advertises tenant " + advertised + " in its CapabilityStatement (token URL); a link must use the"
                    + " server's own tenant: set tenantId to " + advertised + " or leave it out";
            exchange.setProperty(ProbeFailure.PROPERTY, new ProbeFailure(LinkState.CREDENTIALS_REJECTED, "tenant"));
            throw new GatewayException(400, "invalid", "Invalid link", "The link has 1 problem: tenantId " + message + ".",
                    List.of(new FieldError("tenantId", message)));
        }
    }

    /** Route step: the tenant for Azure AD, first that applies: the body, the advertised token URL, the caller. */
    public void resolveTenant(Exchange exchange) {
        RegistrationRequest request = registration(exchange);
        if (request.tenantId() != null) {
            return;
        }
        CapabilityCheck capability = exchange.getProperty(CapabilityCheck.PROPERTY, CapabilityCheck.class);
        String tenant = capability != null && capability.advertisedTenant().isPresent()
                ? capability.advertisedTenant().get()
                : exchange.getProperty(Caller.PROPERTY, Caller.class).organization();
        exchange.setProperty(RegistrationRequest.PROPERTY, request.withTenant(tenant));
    }

    /** Route step: one client-credentials token request, uncached, so the credentials are really tested. */
    public void acquireToken(Exchange exchange) {
        RegistrationRequest request = registration(exchange);
        if (LinkCredential.PLATFORM.equals(request.credential()) && platform.isEmpty()) {
            // a stored platform link re-probed on a gateway whose platform application is no longer configured
            throw probeFailed(exchange, LinkState.CREDENTIALS_REJECTED, "platform-not-configured", "The link uses the"
                    + " platform application, but this gateway has none configured (FHIRLINK_PLATFORM_CLIENT_ID with"
                    + " FHIRLINK_PLATFORM_CLIENT_CERTIFICATE or FHIRLINK_PLATFORM_CLIENT_SECRET); update the link with the"
                    + " organization's own clientId and clientSecret or clientCertificate.");
        }
        try {
            AccessToken token = tokens.request(request.tenantId(), request.linkCredential(platform),
                    request.endpoint() + "/.default");
            exchange.setProperty(TOKEN_PROPERTY, token);
        } catch (AzureAdRefusal refusal) {
            if (!refusal.reachable()) {
                exchange.setProperty(ProbeFailure.PROPERTY, new ProbeFailure(LinkState.UNREACHABLE, "azure-ad-unreachable"));
                throw new GatewayException(503, "transient", "Azure AD unavailable",
                        "Azure AD could not be reached to check the link's credentials; try again shortly.")
                        .withHeader("Retry-After", "10");
            }
            throw probeFailed(exchange, LinkState.CREDENTIALS_REJECTED,
                    refusal.code() != null ? refusal.code() : refusal.error(), "Azure AD refused the client credentials for tenant " + request.tenantId() + ": "
                    + refusal.advice());
        }
    }

    /** Route step before the authenticated read: {@code GET {endpoint}/Patient?_count=1&_elements=id}. */
    public void prepareAuthenticatedRead(Exchange exchange) {
        AccessToken token = exchange.getProperty(TOKEN_PROPERTY, AccessToken.class);
        exchange.removeProperty(TOKEN_PROPERTY);
        exchange.setProperty(UpstreamRequest.UPSTREAM_BASE, registration(exchange).endpoint());
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setBody(null);
        message.setHeader(Exchange.HTTP_METHOD, "GET");
        message.setHeader(Exchange.HTTP_QUERY, "_count=1&_elements=id");
        message.setHeader("Accept", "application/fhir+json");
        message.setHeader("Authorization", "Bearer " + token.value());
    }

    /** Route step after it: 2xx means the application may read and write; 401 and 403 have known causes. */
    public void checkAuthenticatedRead(Exchange exchange) {
        RegistrationRequest request = registration(exchange);
        int status = status(exchange);
        Object body = exchange.getMessage().getBody();
        if (body instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException ignored) {
                // nothing to recover
            }
        }
        exchange.getMessage().getHeaders().clear();
        if (status >= 200 && status <= 299) {
            return;
        }
        if (status == 401) {
            throw probeFailed(exchange, LinkState.CREDENTIALS_REJECTED, "http-401", "The FHIR server rejected the application's token (HTTP 401). Check that the FHIR service's Authentication settings have Audience equal to "
                    + request.endpoint() + " and the Authority of this tenant (" + request.tenantId() + ").");
        }
        if (status == 403 && LinkCredential.PLATFORM.equals(request.credential())) {
            throw probeFailed(exchange, LinkState.FORBIDDEN, "http-403", "The FHIR server refused the platform application (HTTP 403): in tenant "
                    + request.tenantId() + ", assign the 'FHIR Data Writer' role on the FHIR service (Access control (IAM) > Add role assignment > FHIR Data Writer > Members: the platform application, client id "
                    + request.clientId() + ", which consent added to the tenant as an enterprise application). Role assignments can take up to 30 minutes to apply; try again then.");
        }
        if (status == 403) {
            throw probeFailed(exchange, LinkState.FORBIDDEN, "http-403", "The FHIR server refused the application (HTTP 403): grant the application (client id "
                    + request.clientId() + ") the 'FHIR Data Writer' role on the FHIR service (Access control (IAM)). Role assignments can take up to 30 minutes to apply; try again then.");
        }
        throw probeFailed(exchange, LinkState.UNREACHABLE, "http-" + status, "The FHIR server answered HTTP " + status + " to a test read of " + request.endpoint()
                + "/Patient (a registration or update is not saved).");
    }

    private Optional<String> advertisedTenant(JsonNode capability) {
        for (JsonNode rest : capability.path("rest")) {
            for (JsonNode extension : rest.path("security").path("extension")) {
                if (!OAUTH_URIS.equals(extension.path("url").asText())) {
                    continue;
                }
                for (JsonNode uri : extension.path("extension")) {
                    if ("token".equals(uri.path("url").asText())) {
                        return tenantOf(uri.path("valueUri").asText(""));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** {@code https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token} → tenant. */
    static Optional<String> tenantOf(String tokenUrl) {
        try {
            String path = URI.create(tokenUrl).getPath();
            String[] segments = path == null ? new String[0] : path.split("/");
            if (segments.length > 2 && segments[1].matches("[A-Za-z0-9.\\-]{1,100}")
                    && !segments[1].equalsIgnoreCase("common") && !segments[1].equalsIgnoreCase("organizations")) {
                return Optional.of(segments[1].toLowerCase(Locale.ROOT));
            }
        } catch (IllegalArgumentException ignored) {
            // not a URL: no tenant advertised
        }
        return Optional.empty();
    }

    private static RegistrationRequest registration(Exchange exchange) {
        return exchange.getProperty(RegistrationRequest.PROPERTY, RegistrationRequest.class);
    }

    private static int status(Exchange exchange) {
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        return status == null ? 0 : status;
    }

    /** A 400 with the probe's message; the exchange keeps what it says of the link's health (a re-probe records it). */
    static GatewayException probeFailed(Exchange exchange, LinkState state, String cause, String detail) {
        exchange.setProperty(ProbeFailure.PROPERTY, new ProbeFailure(state, cause));
        return new GatewayException(400, "invalid", "FHIR server check failed", detail);
    }
}
