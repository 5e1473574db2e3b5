package io.fhirlink.failure;

import static io.fhirlink.failure.Throwables.find;
import static io.fhirlink.failure.Throwables.oneLine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fhirlink.config.ExchangeKeys;
import io.fhirlink.fhir.OperationOutcomes;
import java.io.IOException;
import java.sql.SQLException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;

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
        exchange.setProperty(ExchangeKeys.FAILURE, failure.issueCode());
        exchange.setProperty(ExchangeKeys.FAILURE_DETAIL, failure.detail());
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
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
                            + refusal.advice() + " An administrator of the organization must "
                            + refusal.remedy("/FhirServers/aadfhirrecord/{name}") + ".")
                    : new GatewayException(502, "transient", "Bad gateway",
                            "Azure AD could not be reached for a token for the linked FHIR server; try again shortly.");
        }
        if (find(caught, SQLException.class) != null || find(caught, DataAccessException.class) != null) {
            LOG.warn("{} request failed: database unavailable: {}", api, oneLine(caught));
            return new GatewayException(503, "transient", "Service unavailable",
                    "The link store is unavailable right now; try again shortly.").withHeader("Retry-After", "5");
        }
        if (UpstreamFailures.isResponseTimeout(caught)) {
            LOG.warn("{} request: linked FHIR server too slow: {}", api, oneLine(caught));
            return new GatewayException(504, "timeout", "Gateway timeout",
                    "The linked FHIR server did not answer in time.");
        }
        if (find(caught, IOException.class) != null) { // refused, unknown host, TLS, reset: no usable answer
            LOG.warn("{} request: linked FHIR server unreachable: {}", api, oneLine(caught));
            return new GatewayException(502, "transient", "Bad gateway",
                    "The linked FHIR server could not be reached (" + UpstreamFailures.unreachableReason(caught) + ").");
        }
        LOG.error("{} request failed unexpectedly: {}", api, oneLine(caught));
        return new GatewayException(500, "exception", "Internal error",
                "The gateway failed unexpectedly; the failure is logged.");
    }
}
