package io.fhirlink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fhirlink.auth.AzureAdRefusal;
import io.fhirlink.fhir.OperationOutcomes;
import io.fhirlink.ops.RequestLog;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import javax.net.ssl.SSLException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns whatever stopped an exchange into the answer the contract promises: RFC 9457 problem+json on the
 * management API, a FHIR OperationOutcome on FHIR paths. Unknown failures become a 500 that says nothing of
 * the internals; the log gets the exception's type and message, never a stack trace, token or secret.
 */
public final class FailureResponses {

    private static final Logger LOG = LoggerFactory.getLogger(FailureResponses.class);

    private final ObjectMapper json;

    public FailureResponses(ObjectMapper json) {
        this.json = json;
    }

    /** Used by the management routes' error handler. */
    public void problem(Exchange exchange) throws Exception {
        GatewayException failure = classify(exchange, "management");
        ObjectNode body = json.createObjectNode();
        body.put("type", "about:blank");
        body.put("title", failure.title());
        body.put("status", failure.status());
        body.put("detail", failure.detail());
        if (!failure.errors().isEmpty()) {
            ArrayNode errors = body.putArray("errors");
            failure.errors().forEach(e -> errors.addObject().put("field", e.field()).put("message", e.message()));
        }
        write(exchange, failure, "application/problem+json", json.writeValueAsBytes(body));
    }

    /** Used by the FHIR proxy route's error handler. */
    public void operationOutcome(Exchange exchange) throws Exception {
        GatewayException failure = classify(exchange, "fhir");
        byte[] body = json.writeValueAsBytes(OperationOutcomes.of(json, failure.issueCode(), failure.detail()));
        write(exchange, failure, "application/fhir+json", body);
    }

    private static void write(Exchange exchange, GatewayException failure, String contentType, byte[] body) {
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        failure.headers().forEach(message::setHeader);
        exchange.setProperty(RequestLog.FAILURE, failure.issueCode());
        String requestId = exchange.getProperty(RequestLog.REQUEST_ID, String.class);
        if (requestId != null) {
            message.setHeader("X-Request-Id", requestId);
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, failure.status());
        message.setHeader(Exchange.CONTENT_TYPE, contentType);
        message.setBody(body);
    }

    private static GatewayException classify(Exchange exchange, String api) {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        GatewayException known = find(caught, GatewayException.class);
        if (known != null) {
            return known;
        }
        AzureAdRefusal refusal = find(caught, AzureAdRefusal.class);
        if (refusal != null) {
            return refusal.reachable()
                    ? new GatewayException(502, "security", "Bad gateway", "Azure AD refused the link's credentials: "
                            + refusal.advice() + " An administrator of the organization must update the link's client secret"
                            + " (PUT /FhirServers/aadfhirrecord/{name}).")
                    : new GatewayException(502, "transient", "Bad gateway",
                            "Azure AD could not be reached for a token for the linked FHIR server; try again shortly.");
        }
        if (find(caught, SQLException.class) != null || find(caught, org.springframework.dao.DataAccessException.class) != null) {
            LOG.warn("{} request failed: database unavailable: {}", api, oneLine(caught));
            return new GatewayException(503, "transient", "Service unavailable",
                    "The link store is unavailable right now; try again shortly.").withHeader("Retry-After", "5");
        }
        if (find(caught, SocketTimeoutException.class) != null && find(caught, ConnectTimeoutException.class) == null) {
            LOG.warn("{} request: linked FHIR server too slow: {}", api, oneLine(caught));
            return new GatewayException(504, "timeout", "Gateway timeout",
                    "The linked FHIR server did not answer in time.");
        }
        if (find(caught, UnknownHostException.class) != null || find(caught, HttpHostConnectException.class) != null
                || find(caught, ConnectException.class) != null || find(caught, NoRouteToHostException.class) != null
                || find(caught, ConnectTimeoutException.class) != null || find(caught, SSLException.class) != null
                || find(caught, java.io.IOException.class) != null) {
            LOG.warn("{} request: linked FHIR server unreachable: {}", api, oneLine(caught));
            return new GatewayException(502, "transient", "Bad gateway",
                    "The linked FHIR server could not be reached (" + reason(caught) + ").");
        }
        LOG.error("{} request failed unexpectedly: {}", api, oneLine(caught));
        return new GatewayException(500, "exception", "Internal error",
                "The gateway failed unexpectedly; the failure is logged.");
    }

    private static String reason(Throwable t) {
        if (find(t, io.fhirlink.proxy.UpstreamConnections.PrivateAddressRefused.class) != null) {
            return "its host resolves to a private or local address, which links may not reach";
        }
        if (find(t, UnknownHostException.class) != null) {
            return "host name not found";
        }
        if (find(t, SSLException.class) != null) {
            return "TLS handshake failed";
        }
        if (find(t, ConnectTimeoutException.class) != null) {
            return "connection timed out";
        }
        if (find(t, ConnectException.class) != null || find(t, HttpHostConnectException.class) != null) {
            return "connection refused";
        }
        return "connection failed";
    }

    static String oneLine(Throwable t) {
        if (t == null) {
            return "unknown";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getName() + ": " + root.getMessage();
    }

    public static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }
}
