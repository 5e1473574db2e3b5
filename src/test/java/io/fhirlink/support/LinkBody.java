package io.fhirlink.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;

/**
 * The JSON body of a registration (POST) or update (PUT) of a link, as a client writes it: only the fields set are
 * sent. {@link #writerOf} starts from the stand-ins' FHIR Data Writer application.
 */
public final class LinkBody {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode fields = JSON.createObjectNode();

    private LinkBody() {
    }

    /** A body with the link's server and the writer application's credentials, and no name (a PUT). */
    public static LinkBody writerOf(String endpoint) {
        return new LinkBody().endpoint(endpoint).client(GatewayHarness.CLIENT_ID, GatewayHarness.CLIENT_SECRET);
    }

    /** A registration of {@code name} at {@code endpoint} with the writer application. */
    public static LinkBody registration(String name, String endpoint) {
        return writerOf(endpoint).name(name);
    }

    public static LinkBody empty() {
        return new LinkBody();
    }

    public LinkBody name(String displayName) {
        return with("fhirDatabaseDisplayName", displayName);
    }

    public LinkBody endpoint(String endpoint) {
        return with("fhirServerEndpoint", endpoint);
    }

    public LinkBody client(String clientId, String clientSecret) {
        return with("clientId", clientId).with("clientSecret", clientSecret);
    }

    public LinkBody tenant(String tenantId) {
        return with("tenantId", tenantId);
    }

    public LinkBody description(String description) {
        return with("description", description);
    }

    public LinkBody secretExpiresOn(LocalDate date) {
        return date == null ? this : with("clientSecretExpiresOn", date.toString());
    }

    /** Any other field, or {@code null} to leave one out. */
    public LinkBody with(String field, String value) {
        if (value == null) {
            fields.remove(field);
        } else {
            fields.put(field, value);
        }
        return this;
    }

    public String json() {
        return fields.toString();
    }

    @Override
    public String toString() {
        return json();
    }
}
