package io.fhirlink.management;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fhirlink.auth.ClientCertificate;
import io.fhirlink.auth.LinkCredential;
import io.fhirlink.auth.PlatformApplication;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.failure.GatewayException.FieldError;
import io.fhirlink.upstream.EndpointPolicy;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;

/**
 * Checks a registration (or update) body and reports every problem at once, each naming its field, so a user
 * fixes them in one round. Unknown fields are errors, not ignored: {@code clientID} is a typo worth naming.
 */
public final class RegistrationValidator {

    public static final int MAX_BODY_BYTES = 64 * 1024;
    static final int MAX_SECRET_LENGTH = 1024;
    static final int MAX_DESCRIPTION_LENGTH = 1024;

    static final Set<String> FIELDS = Set.of(
            "description", "fhirDatabaseDisplayName", "fhirServerEndpoint", "clientId", "clientSecret", "tenantId",
            "clientSecretExpiresOn", "credential", "clientCertificate", "clientCertificatePassword");
    static final int MAX_CERTIFICATE_LENGTH = 48 * 1024;
    static final Set<String> CREDENTIALS = Set.of(LinkCredential.SECRET, LinkCredential.CERTIFICATE, LinkCredential.PLATFORM);
    /** Names that would hide a path of the gateway itself or read as one. */
    static final Set<String> RESERVED_NAMES = Set.of(
            "fhirservers", "observe", "metadata", "proxy", "health", "metrics", "api", "admin", "openapi",
            "well-known", "q", "static", "favicon-ico", "robots-txt");

    private static final Pattern DISPLAY_NAME = Pattern.compile("[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]");
    private static final Pattern GUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final ObjectMapper json;
    private final EndpointPolicy endpointPolicy;
    private final Clock clock;
    private final Optional<PlatformApplication> platform;

    public RegistrationValidator(ObjectMapper json, EndpointPolicy endpointPolicy, Clock clock) {
        this(json, endpointPolicy, clock, Optional.empty());
    }

    public RegistrationValidator(ObjectMapper json, EndpointPolicy endpointPolicy, Clock clock,
            Optional<PlatformApplication> platform) {
        this.clock = clock;
        this.platform = platform;
        // Duplicate keys and anything after the object are refused: "{...}garbage" or "{...}{...}" is read
        // differently by different parsers, and only one reading may count.
        this.json = json.copy().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.endpointPolicy = endpointPolicy;
    }

    /** Route step for POST: validates the body into {@link RegistrationRequest#PROPERTY}. */
    public void validateRegistration(Exchange exchange) {
        ObjectNode body = parse(bodyBytes(exchange));
        exchange.setProperty(RegistrationRequest.PROPERTY, validate(body, null));
    }

    /**
     * Route step for PUT: the body may change description, endpoint, clientId, clientSecret (and tenantId); the
     * display name comes from the path and, if present in the body, must match it.
     */
    public void validateUpdate(Exchange exchange) {
        ObjectNode body = parse(bodyBytes(exchange));
        String name = exchange.getMessage().getHeader("name", String.class);
        // names are stored lower-case (and seal the secret as associated data): the path may be typed in any case
        exchange.setProperty(RegistrationRequest.PROPERTY, validate(body, name == null ? "" : name.toLowerCase(Locale.ROOT)));
    }

    /** The request body as read by the body reader (a Vert.x buffer), or as bytes. */
    private static byte[] bodyBytes(Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        return body instanceof Buffer buffer ? buffer.getBytes() : exchange.getMessage().getBody(byte[].class);
    }

    ObjectNode parse(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw GatewayException.badRequest("The request body is empty; send the link as a JSON object.");
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        JsonNode node;
        try {
            node = json.readTree(bytes);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr();
            throw GatewayException.badRequest("The request body is not valid JSON" + where + ": "
                    + e.getOriginalMessage().replaceAll("[\\r\\n\\t]", " ").replaceAll("\\p{Cntrl}", "?"));
        } catch (IOException e) {
            throw GatewayException.badRequest("The request body could not be read as JSON.");
        }
        if (!(node instanceof ObjectNode object)) {
            throw GatewayException.badRequest("The request body must be a JSON object.");
        }
        return object;
    }

    public static GatewayException tooLarge() {
        return new GatewayException(413, "too-costly", "Payload too large",
                "The request body is larger than " + MAX_BODY_BYTES / 1024 + " KiB.");
    }

    RegistrationRequest validate(ObjectNode body, String nameFromPath) {
        List<FieldError> errors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            String field = it.next().getKey();
            if (!FIELDS.contains(field)) {
                errors.add(new FieldError(printable(field), "unknown field" + suggestion(field)));
            }
        }
        String name = text(body, "fhirDatabaseDisplayName", nameFromPath == null, errors);
        if (nameFromPath != null) {
            if (name != null && !name.equals(nameFromPath)) {
                errors.add(new FieldError("fhirDatabaseDisplayName", "cannot be changed; it must equal the name in the path ('" + nameFromPath + "') or be left out"));
            }
            name = nameFromPath;
        } else if (name != null) {
            checkDisplayName(name, errors);
        }
        String endpoint = text(body, "fhirServerEndpoint", true, errors);
        if (endpoint != null) {
            endpoint = checkEndpoint(endpoint, errors);
        }
        String credential = credentialKind(body, errors);
        String clientId = text(body, "clientId", !LinkCredential.PLATFORM.equals(credential), errors);
        if (clientId != null && !GUID.matcher(clientId).matches()) {
            errors.add(new FieldError("clientId", "must be the application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000"));
        }
        String secret = text(body, "clientSecret", LinkCredential.SECRET.equals(credential), errors);
        if (secret != null && secret.length() > MAX_SECRET_LENGTH) {
            errors.add(new FieldError("clientSecret", "must be at most " + MAX_SECRET_LENGTH + " characters"));
        }
        if (secret != null && secret.chars().anyMatch(Character::isISOControl)) {
            errors.add(new FieldError("clientSecret", "must not contain control characters"));
        }
        ClientCertificate certificate = certificate(body, credential, errors);
        if (LinkCredential.PLATFORM.equals(credential)) {
            clientId = platformClientId(clientId, errors);
        }
        String description = text(body, "description", false, errors);
        if (description != null && description.length() > MAX_DESCRIPTION_LENGTH) {
            errors.add(new FieldError("description", "must be at most " + MAX_DESCRIPTION_LENGTH + " characters"));
        }
        String tenantId = text(body, "tenantId", false, errors);
        if (tenantId != null && !GUID.matcher(tenantId).matches()
                && !tenantId.matches("[a-zA-Z0-9][a-zA-Z0-9.-]{0,252}\\.[a-zA-Z]{2,63}")) {
            errors.add(new FieldError("tenantId", "must be the directory (tenant) ID, a GUID, or a verified domain like contoso.onmicrosoft.com"));
        }
        LocalDate expiresOn = expiryDate(text(body, "clientSecretExpiresOn", false, errors), errors);
        if (expiresOn != null && !LinkCredential.SECRET.equals(credential)) {
            errors.add(new FieldError("clientSecretExpiresOn", LinkCredential.CERTIFICATE.equals(credential)
                    ? "is not sent with a certificate: the certificate's own notAfter is its end date"
                    : "is not sent with the platform credential (there is no secret of the link's own)"));
        }
        if (!errors.isEmpty()) {
            throw new GatewayException(400, "invalid", "Invalid link",
                    errors.size() == 1 ? "The link has 1 problem: " + errors.get(0).field() + " " + errors.get(0).message() + "."
                            : "The link has " + errors.size() + " problems; see errors.",
                    errors);
        }
        return new RegistrationRequest(name, description, endpoint, clientId.toLowerCase(Locale.ROOT), secret,
                tenantId == null ? null : tenantId.toLowerCase(Locale.ROOT), expiresOn, credential, certificate);
    }

    /**
     * {@code credential}: {@code secret} unless it says otherwise, or unless a {@code clientCertificate} is sent
     * without it (then {@code certificate}, as a user sending one means). A secret and a certificate together are
     * refused: which one should the link use?
     */
    private static String credentialKind(ObjectNode body, List<FieldError> errors) {
        boolean withSecret = body.hasNonNull("clientSecret");
        boolean withCertificate = body.hasNonNull("clientCertificate");
        if (withSecret && withCertificate) {
            errors.add(new FieldError("clientCertificate", "cannot be sent with clientSecret: a link signs in with one"
                    + " credential; send either clientSecret (\"credential\": \"secret\") or clientCertificate"
                    + " (\"credential\": \"certificate\")"));
        }
        String kind = text(body, "credential", false, errors);
        if (kind == null) {
            return withCertificate && !withSecret ? LinkCredential.CERTIFICATE : LinkCredential.SECRET;
        }
        if (!CREDENTIALS.contains(kind)) {
            errors.add(new FieldError("credential", "must be one of secret, certificate, platform"));
            return withCertificate && !withSecret ? LinkCredential.CERTIFICATE : LinkCredential.SECRET;
        }
        if (!LinkCredential.SECRET.equals(kind) && withSecret) {
            errors.add(new FieldError("clientSecret", "is not sent with \"credential\": \"" + kind + "\""));
        }
        if (!LinkCredential.CERTIFICATE.equals(kind) && withCertificate && !withSecret) {
            errors.add(new FieldError("clientCertificate", "is not sent with \"credential\": \"" + kind + "\""));
        }
        return kind;
    }

    /** The certificate and its key, read and checked (expiry, strength, key pair) for {@code "certificate"}. */
    private ClientCertificate certificate(ObjectNode body, String credential, List<FieldError> errors) {
        String password = body.hasNonNull("clientCertificatePassword") && body.get("clientCertificatePassword").isTextual()
                ? body.get("clientCertificatePassword").textValue() : null;
        if (body.hasNonNull("clientCertificatePassword") && password == null) {
            errors.add(new FieldError("clientCertificatePassword", "must be a string"));
        }
        if (!LinkCredential.CERTIFICATE.equals(credential)) {
            if (password != null) {
                errors.add(new FieldError("clientCertificatePassword", "is only sent with a PKCS#12 clientCertificate"));
            }
            return null;
        }
        String sent = text(body, "clientCertificate", true, errors);
        if (sent == null) {
            return null;
        }
        if (sent.length() > MAX_CERTIFICATE_LENGTH) {
            errors.add(new FieldError("clientCertificate", "must be at most " + MAX_CERTIFICATE_LENGTH / 1024 + " KiB"));
            return null;
        }
        try {
            return ClientCertificate.read(sent, password, clock.instant());
        } catch (ClientCertificate.Unusable e) {
            errors.add(new FieldError("clientCertificate", e.getMessage()));
            return null;
        }
    }

    /** {@code "platform"}: only when this gateway has a platform application; a clientId sent must be its own. */
    private String platformClientId(String clientId, List<FieldError> errors) {
        if (platform.isEmpty()) {
            errors.add(new FieldError("credential", "'platform' is not available: this gateway has no platform application"
                    + " configured (FHIRLINK_PLATFORM_CLIENT_ID with FHIRLINK_PLATFORM_CLIENT_CERTIFICATE or"
                    + " FHIRLINK_PLATFORM_CLIENT_SECRET); link with your own application's clientId and clientSecret or"
                    + " clientCertificate"));
            return clientId == null ? "" : clientId;
        }
        String platformId = platform.get().clientId();
        if (clientId != null && !clientId.equalsIgnoreCase(platformId)) {
            errors.add(new FieldError("clientId", "must be left out with \"credential\": \"platform\" (or be the"
                    + " platform application's, " + platformId + ")"));
        }
        return platformId;
    }

    /**
     * The date Azure shows as the secret's "Expires": an ISO date ({@code 2027-03-31}), or a date-time with offset
     * (Microsoft Graph's {@code endDateTime}), taken as its UTC date. Today is allowed (the secret still works); a
     * past date is refused: it would be a secret that no longer works.
     */
    private LocalDate expiryDate(String value, List<FieldError> errors) {
        if (value == null) {
            return null;
        }
        LocalDate date;
        try {
            date = value.length() <= 10 ? LocalDate.parse(value)
                    : OffsetDateTime.parse(value).atZoneSameInstant(ZoneOffset.UTC).toLocalDate();
        } catch (DateTimeParseException e) {
            errors.add(new FieldError("clientSecretExpiresOn", "must be an ISO date like 2027-03-31 (the secret's Expires date in the app registration)"));
            return null;
        }
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        if (date.isBefore(today)) {
            errors.add(new FieldError("clientSecretExpiresOn", "is in the past (" + date + "); a secret past its end date no longer works: create a new one and send it with its date"));
            return null;
        }
        return date;
    }

    private static void checkDisplayName(String name, List<FieldError> errors) {
        if (name.length() < 3 || name.length() > 63) {
            errors.add(new FieldError("fhirDatabaseDisplayName", "must be 3 to 63 characters long"));
        } else if (!DISPLAY_NAME.matcher(name).matches()) {
            errors.add(new FieldError("fhirDatabaseDisplayName",
                    "may hold only lower-case letters a-z, digits and hyphens, and may not start or end with a hyphen"));
        } else if (RESERVED_NAMES.contains(name)) {
            errors.add(new FieldError("fhirDatabaseDisplayName", "'" + name + "' is reserved by the gateway; choose another name"));
        }
    }

    private String checkEndpoint(String raw, List<FieldError> errors) {
        URI uri;
        try {
            uri = new URI(raw.trim());
        } catch (URISyntaxException e) {
            errors.add(new FieldError("fhirServerEndpoint", "is not a valid URL"));
            return null;
        }
        int before = errors.size();
        if (!uri.isAbsolute() || uri.getHost() == null) {
            errors.add(new FieldError("fhirServerEndpoint", "must be an absolute URL like https://myworkspace-myfhir.fhir.azurehealthcareapis.com"));
            return null;
        }
        if (!"https".equalsIgnoreCase(uri.getScheme())) {
            errors.add(new FieldError("fhirServerEndpoint", "must use https"));
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            errors.add(new FieldError("fhirServerEndpoint", "has a port outside 1-65535"));
        }
        if (uri.getRawUserInfo() != null) {
            errors.add(new FieldError("fhirServerEndpoint", "must not contain user information"));
        }
        if (uri.getRawQuery() != null) {
            errors.add(new FieldError("fhirServerEndpoint", "must not contain a query"));
        }
        if (uri.getRawFragment() != null) {
            errors.add(new FieldError("fhirServerEndpoint", "must not contain a fragment"));
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.endsWith("/metadata")) {
            path = path.substring(0, path.length() - "/metadata".length());
        }
        if (path.contains("..") || path.contains("//") || path.contains("%") || path.contains("\\")) {
            errors.add(new FieldError("fhirServerEndpoint", "has a path the gateway cannot use"));
        }
        if (errors.size() > before) {
            return null;
        }
        endpointPolicy.refusal(uri).ifPresent(reason -> errors.add(new FieldError("fhirServerEndpoint", reason)));
        String authority = uri.getHost().toLowerCase(Locale.ROOT) + (uri.getPort() > 0 && uri.getPort() != 443 ? ":" + uri.getPort() : "");
        return "https://" + authority + path;
    }

    private static String text(ObjectNode body, String field, boolean required, List<FieldError> errors) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                errors.add(new FieldError(field, "is required"));
            }
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new FieldError(field, "must be a string"));
            return null;
        }
        // strip(), not trim(): trim() also drops NUL and other control characters at either end, so "name\u0000"
        // would pass as "name"; only whitespace is forgiven, anything else is judged as sent
        String text = value.textValue().strip();
        if (text.isEmpty()) {
            if (required) {
                errors.add(new FieldError(field, "must not be empty"));
            }
            return null;
        }
        return text;
    }

    private static String suggestion(String field) {
        for (String known : FIELDS) {
            if (known.equalsIgnoreCase(field)) {
                return "; did you mean '" + known + "'?";
            }
        }
        return "; allowed: " + String.join(", ", FIELDS.stream().sorted().toList());
    }

    /** Field names echo user input: keep them short and printable in the answer. */
    private static String printable(String field) {
        String cleaned = field.replaceAll("\\p{Cntrl}", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }
}
