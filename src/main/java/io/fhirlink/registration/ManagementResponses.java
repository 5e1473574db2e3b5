package io.fhirlink.registration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fhirlink.GatewayException;
import io.fhirlink.Link;
import io.fhirlink.LinkRows;
import io.fhirlink.PublicBaseUrl;
import io.fhirlink.auth.Caller;
import io.fhirlink.ops.RequestLog;
import java.util.List;
import java.util.Map;
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

    public ManagementResponses(ObjectMapper json, PublicBaseUrl publicBaseUrl, LinkRows rows) {
        this.json = json;
        this.publicBaseUrl = publicBaseUrl;
        this.rows = rows;
    }

    /** Route step: 201 with the new link and its {@code Location}. */
    @SuppressWarnings("unchecked")
    public void created(Exchange exchange) throws Exception {
        Link link = rows.toLinkWithoutSecret((Map<String, Object>) exchange.getMessage().getBody(Map.class));
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        AUDIT.info("link created name={} organization={} subject={} endpoint={} requestId={}",
                link.displayName(), caller.organization(), caller.subject(), link.endpoint(), requestId(exchange));
        String base = writeLink(exchange, 201, link);
        exchange.getMessage().setHeader("Location", base + COLLECTION_PATH + "/" + link.displayName());
    }

    /** Route step: 200 with one link (the route has already checked it belongs to the caller). */
    @SuppressWarnings("unchecked")
    public void one(Exchange exchange) throws Exception {
        if (exchange.getMessage().getBody() == null) {
            throw notFound(exchange);
        }
        writeLink(exchange, 200, rows.toLinkWithoutSecret((Map<String, Object>) exchange.getMessage().getBody(Map.class)));
    }

    /** Route step: 200 with the updated link and its new ETag. */
    @SuppressWarnings("unchecked")
    public void updated(Exchange exchange) throws Exception {
        Link link = rows.toLinkWithoutSecret((Map<String, Object>) exchange.getMessage().getBody(Map.class));
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        AUDIT.info("link updated name={} organization={} subject={} endpoint={} clientId={} version={} requestId={}",
                link.displayName(), caller.organization(), caller.subject(), link.endpoint(), link.clientId(), link.version(),
                requestId(exchange));
        writeLink(exchange, 200, link);
    }

    /** Route step: 200 with the caller organization's links. */
    @SuppressWarnings("unchecked")
    public void list(Exchange exchange) throws Exception {
        List<Map<String, Object>> found = exchange.getMessage().getBody(List.class);
        String base = publicBaseUrl.of(exchange);
        ArrayNode array = json.createArrayNode();
        for (Map<String, Object> row : found) {
            array.add(view(rows.toLinkWithoutSecret(row), base));
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

    ObjectNode view(Link link, String base) {
        ObjectNode node = json.createObjectNode();
        node.put("fhirDatabaseDisplayName", link.displayName());
        node.put("description", link.description());
        node.put("fhirServerEndpoint", link.endpoint());
        node.put("clientId", link.clientId());
        node.put("tenantId", link.tenantId());
        node.put("fhirVersion", link.fhirVersion());
        node.put("fhirBaseUrl", base + "/" + link.displayName());
        node.put("version", link.version());
        node.put("createdAt", link.createdAt() == null ? null : link.createdAt().toString());
        node.put("updatedAt", link.updatedAt() == null ? null : link.updatedAt().toString());
        return node;
    }

    /** The same answer for a missing link and another organization's: no existence leak. */
    static GatewayException notFound(Exchange exchange) {
        return GatewayException.notFound("No link named '" + exchange.getMessage().getHeader("displayName")
                + "' exists for your organization.");
    }

    /** The request id the access log uses ({@code X-Request-Id} or generated), so audit and access lines join. */
    private static Object requestId(Exchange exchange) {
        Object id = exchange.getProperty(RequestLog.REQUEST_ID);
        return id == null ? "-" : id;
    }

    static String etag(Link link) {
        return "W/\"" + link.version() + "\"";
    }

    /** One link as the answer, with its ETag; returns the public base URL it was written with. */
    private String writeLink(Exchange exchange, int status, Link link) throws Exception {
        String base = publicBaseUrl.of(exchange);
        write(exchange, status, json.writeValueAsBytes(view(link, base)));
        exchange.getMessage().setHeader("ETag", etag(link));
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
