package io.fhirlink.management;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fhirlink.auth.Caller;
import io.fhirlink.auth.ClientCertificate;
import io.fhirlink.config.ExchangeKeys;
import io.fhirlink.config.PublicBaseUrl;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.links.Link;
import io.fhirlink.links.LinkRows;
import io.fhirlink.ops.CredentialExpiry;
import io.fhirlink.ops.LinkState;
import java.security.cert.X509Certificate;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management API's answers. A link is shown with its FHIR base URL on the gateway and never with its secret.
 * Each answer replaces every header, so nothing the caller sent (its Authorization first) is echoed back.
 */
public final class ManagementResponses {

    public static final String COLLECTION_PATH = "/FhirServers/aadfhirrecord";
    private static final Logger AUDIT = LoggerFactory.getLogger("io.fhirlink.audit");

    private final ObjectMapper json;
    private final PublicBaseUrl publicBaseUrl;
    private final LinkRows rows;
    private final Clock clock;

    public ManagementResponses(ObjectMapper json, PublicBaseUrl publicBaseUrl, LinkRows rows, Clock clock) {
        this.json = json;
        this.clock = clock;
        this.publicBaseUrl = publicBaseUrl;
        this.rows = rows;
    }

    /** Route step: 201 with the new link and its {@code Location}. */
    @SuppressWarnings("unchecked")
    public void created(Exchange exchange) throws Exception {
        Map<String, Object> row = exchange.getMessage().getBody(Map.class);
        Link link = audit("created", exchange, row);
        String base = writeLink(exchange, 201, row);
        exchange.getMessage().setHeader("Location", base + COLLECTION_PATH + "/" + link.displayName());
    }

    /** Route step: 200 with one link (the route has already checked it belongs to the caller). */
    @SuppressWarnings("unchecked")
    public void one(Exchange exchange) throws Exception {
        if (exchange.getMessage().getBody() == null) {
            throw notFound(exchange);
        }
        writeLink(exchange, 200, (Map<String, Object>) exchange.getMessage().getBody(Map.class));
    }

    /** Route step: 200 with the updated link and its new ETag. */
    @SuppressWarnings("unchecked")
    public void updated(Exchange exchange) throws Exception {
        Map<String, Object> row = exchange.getMessage().getBody(Map.class);
        audit("updated", exchange, row);
        writeLink(exchange, 200, row);
    }

    /** Route step after a passed re-probe: 200 with the probe's result and the link's status as now stored. */
    @SuppressWarnings("unchecked")
    public void probed(Exchange exchange) throws Exception {
        Map<String, Object> row = exchange.getMessage().getBody(Map.class);
        if (row == null) {
            throw notFound(exchange); // unlinked while it was probed
        }
        RegistrationRequest probed = exchange.getProperty(RegistrationRequest.PROPERTY, RegistrationRequest.class);
        CapabilityCheck capability = exchange.getProperty(CapabilityCheck.PROPERTY, CapabilityCheck.class);
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        AUDIT.info("link probed name={} organization={} subject={} result=passed requestId={}",
                probed.displayName(), caller.organization(), caller.subject(), requestId(exchange));
        ObjectNode node = json.createObjectNode();
        node.put("fhirDatabaseDisplayName", probed.displayName());
        ObjectNode probe = node.putObject("probe");
        probe.put("result", "passed");
        probe.put("probedAt", clock.instant().toString());
        probe.put("fhirVersion", capability == null ? null : capability.fhirVersion());
        probe.put("tenantId", probed.tenantId());
        probe.put("detail", "The FHIR server answered its CapabilityStatement and an authenticated read"
                + " (GET /Patient?_count=1) with a token for the link's stored credentials.");
        node.set("status", status(row));
        write(exchange, 200, json.writeValueAsBytes(node));
    }

    /** Route step: 200 with the caller organization's links. */
    @SuppressWarnings("unchecked")
    public void list(Exchange exchange) throws Exception {
        List<Map<String, Object>> found = exchange.getMessage().getBody(List.class);
        String base = publicBaseUrl.of(exchange);
        ArrayNode array = json.createArrayNode();
        for (Map<String, Object> row : found) {
            array.add(view(row, base));
        }
        write(exchange, 200, json.writeValueAsBytes(array));
    }

    /** Route step: 204 after an unlink (the route's confirm step has already answered a missing row). */
    public void deleted(Exchange exchange) {
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        AUDIT.info("link deleted name={} organization={} subject={} requestId={}",
                exchange.getMessage().getHeader("displayName"), caller.organization(), caller.subject(), requestId(exchange));
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setBody(null);
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, 204);
    }

    /** A link row (with its status columns when read from fhir_link_with_status) as the API shows it. */
    ObjectNode view(Map<String, Object> row, String base) {
        Link link = rows.toLinkWithoutSecret(row);
        ObjectNode node = json.createObjectNode();
        node.put("fhirDatabaseDisplayName", link.displayName());
        node.put("description", link.description());
        node.put("fhirServerEndpoint", link.endpoint());
        node.put("clientId", link.clientId());
        node.put("credential", link.credential());
        if (link.clientCertificate() != null) {
            // the public certificate only: the key is never even opened for a view
            X509Certificate certificate = ClientCertificate.firstCertificate(link.clientCertificate());
            ObjectNode shown = node.putObject("certificate");
            shown.put("subject", certificate.getSubjectX500Principal().getName(X500Principal.RFC2253));
            shown.put("thumbprint", ClientCertificate.thumbprint(certificate));
            shown.put("notBefore", certificate.getNotBefore().toInstant().toString());
            shown.put("notAfter", certificate.getNotAfter().toInstant().toString());
        }
        node.put("tenantId", link.tenantId());
        node.put("fhirVersion", link.fhirVersion());
        node.put("fhirBaseUrl", base + "/" + link.displayName());
        node.put("version", link.version());
        node.put("createdAt", link.createdAt() == null ? null : link.createdAt().toString());
        node.put("updatedAt", link.updatedAt() == null ? null : link.updatedAt().toString());
        LocalDate expiresOn = date(row.get("client_secret_expires_on"));
        node.put("clientSecretExpiresOn", expiresOn == null ? null : expiresOn.toString());
        if (expiresOn == null) {
            node.putNull("daysLeft");
        } else {
            node.put("daysLeft", CredentialExpiry.daysLeft(expiresOn, clock));
        }
        node.set("status", status(row));
        return node;
    }

    /**
     * The link's status as stored by whichever replica saw it (so every replica answers the same); no status yet
     * (no call through the gateway, no probe since it was linked) is {@code not-yet-used} since it was linked.
     */
    ObjectNode status(Map<String, Object> row) {
        ObjectNode status = json.createObjectNode();
        Object state = row.get("status_state");
        status.put("state", state == null ? LinkState.NOT_YET_USED.wireName() : state.toString());
        status.put("since", time(state == null ? row.get("created_at") : row.get("status_since")));
        status.put("lastSuccessAt", time(row.get("status_last_success_at")));
        Object failedAt = row.get("status_last_failure_at");
        if (failedAt == null) {
            status.putNull("lastFailure");
        } else {
            ObjectNode failure = status.putObject("lastFailure");
            failure.put("at", time(failedAt));
            failure.put("cause", (String) row.get("status_last_failure_cause"));
            failure.put("advice", (String) row.get("status_last_failure_advice"));
        }
        return status;
    }

    private static String time(Object value) {
        if (value instanceof Timestamp ts) {
            return ts.toInstant().toString();
        }
        if (value instanceof OffsetDateTime odt) {
            return odt.toInstant().toString();
        }
        return value == null ? null : value.toString();
    }

    private static LocalDate date(Object value) {
        if (value instanceof Date date) {
            return date.toLocalDate();
        }
        if (value instanceof LocalDate date) {
            return date;
        }
        return value == null ? null : LocalDate.parse(value.toString());
    }

    /** The same answer for a missing link and another organization's: no existence leak. */
    static GatewayException notFound(Exchange exchange) {
        return GatewayException.notFound("No link named '" + exchange.getMessage().getHeader("displayName")
                + "' exists for your organization.");
    }

    /** One audit line for a written link: who wrote what, and the request that did it. */
    private Link audit(String event, Exchange exchange, Map<String, Object> row) {
        Link link = rows.toLinkWithoutSecret(row);
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        AUDIT.info("link {} name={} organization={} subject={} endpoint={} clientId={} version={} requestId={}",
                event, link.displayName(), caller.organization(), caller.subject(), link.endpoint(), link.clientId(),
                link.version(), requestId(exchange));
        return link;
    }

    /** The request id the access log uses ({@code X-Request-Id} or generated), so audit and access lines join. */
    private static Object requestId(Exchange exchange) {
        Object id = exchange.getProperty(ExchangeKeys.REQUEST_ID);
        return id == null ? "-" : id;
    }

    static String etag(Link link) {
        return "W/\"" + link.version() + "\"";
    }

    /** One link as the answer, with its ETag; returns the public base URL it was written with. */
    private String writeLink(Exchange exchange, int status, Map<String, Object> row) throws Exception {
        String base = publicBaseUrl.of(exchange);
        write(exchange, status, json.writeValueAsBytes(view(row, base)));
        exchange.getMessage().setHeader("ETag", etag(rows.toLinkWithoutSecret(row)));
        return base;
    }

    private static void write(Exchange exchange, int status, byte[] body) {
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setBody(body);
    }
}
