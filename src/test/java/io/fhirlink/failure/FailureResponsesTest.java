package io.fhirlink.failure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.config.ExchangeKeys;
import java.io.IOException;
import java.net.ConnectException;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the error handlers answer for each failure: the proxy's table (OperationOutcome: status and issue code) and
 * the management API's problem+json, with no internals in the answer.
 */
@Tag("unit")
class FailureResponsesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final FailureResponses responses = new FailureResponses(JSON);

    @Test
    void azureAdRefusingTheLinksCredentials_is502Security_namingTheCodeAndTheFix() throws Exception {
        Exchange answered = operationOutcome(new AzureAdRefusal("invalid_client", "AADSTS7000215: Invalid client secret provided.", true));

        assertThat(status(answered)).isEqualTo(502);
        assertThat(issue(answered).path("code").asText()).isEqualTo("security");
        assertThat(issue(answered).path("diagnostics").asText()).contains("AADSTS7000215", "update the link's client secret");
    }

    @Test
    void azureAdUnreachable_is502Transient() throws Exception {
        Exchange answered = operationOutcome(new AzureAdRefusal("timeout", null, false));

        assertThat(status(answered)).isEqualTo(502);
        assertThat(issue(answered).path("code").asText()).isEqualTo("transient");
    }

    @Test
    void fhirServerUnreachable_is502TransientNamingWhy() throws Exception {
        Exchange answered = operationOutcome(new IOException(new ConnectException("Connection refused")));

        assertThat(status(answered)).isEqualTo(502);
        assertThat(issue(answered).path("code").asText()).isEqualTo("transient");
        assertThat(issue(answered).path("diagnostics").asText()).contains("(connection refused)");
    }

    @Test
    void fhirServerTooSlow_is504Timeout() throws Exception {
        Exchange answered = operationOutcome(new TimeoutException("The timeout period of 60000ms has been exceeded"));

        assertThat(status(answered)).isEqualTo(504);
        assertThat(issue(answered).path("code").asText()).isEqualTo("timeout");
    }

    @Test
    void linkStoreUnavailable_is503TransientWithRetryAfter() throws Exception {
        Exchange answered = operationOutcome(new SQLException("Connection to 127.0.0.1:5432 refused"));

        assertThat(status(answered)).isEqualTo(503);
        assertThat(answered.getMessage().getHeader("Retry-After")).isEqualTo("5");
        assertThat(issue(answered).path("diagnostics").asText()).doesNotContain("5432");
    }

    @Test
    void aGatewayException_isAnsweredAsItSays_withItsHeaders() throws Exception {
        Exchange answered = operationOutcome(new IllegalStateException("wrapped",
                GatewayException.unauthenticated("No bearer token.")));

        assertThat(status(answered)).isEqualTo(401);
        assertThat(answered.getMessage().getHeaders()).containsKey("WWW-Authenticate");
        assertThat(issue(answered).path("code").asText()).isEqualTo("login");
    }

    @Test
    void anythingElse_is500SayingNothingOfTheInternals() throws Exception {
        Exchange answered = operationOutcome(new NullPointerException("secret-internal-detail"));

        assertThat(status(answered)).isEqualTo(500);
        assertThat(body(answered).toString()).doesNotContain("secret-internal-detail", "NullPointerException");
    }

    @Test
    void theAnswer_replacesEveryHeader_keepsTheRequestId_andRecordsTheFailureForTheAccessLog() throws Exception {
        Exchange exchange = failed(new TimeoutException("slow"));
        exchange.getMessage().setHeader("Authorization", "Bearer caller-token");
        exchange.setProperty(ExchangeKeys.REQUEST_ID, "req-1");

        responses.operationOutcome(exchange);

        assertThat(exchange.getMessage().getHeaders()).doesNotContainKey("Authorization").containsEntry("X-Request-Id", "req-1")
                .containsEntry(Exchange.CONTENT_TYPE, "application/fhir+json");
        assertThat(exchange.getProperty(ExchangeKeys.FAILURE)).isEqualTo("timeout");
    }

    @Test
    void problem_isRfc9457WithEveryFieldError() throws Exception {
        Exchange exchange = failed(new GatewayException(400, "invalid", "Invalid link", "The link has 2 problems; see errors.",
                List.of(new GatewayException.FieldError("clientId", "must be a GUID"),
                        new GatewayException.FieldError("clientSecret", "is required"))));

        responses.problem(exchange);

        JsonNode problem = body(exchange);
        assertThat(exchange.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo("application/problem+json");
        assertThat(problem.path("type").asText()).isEqualTo("about:blank");
        assertThat(problem.path("title").asText()).isEqualTo("Invalid link");
        assertThat(problem.path("status").asInt()).isEqualTo(400);
        assertThat(problem.path("detail").asText()).isEqualTo("The link has 2 problems; see errors.");
        assertThat(problem.path("errors").findValuesAsText("field")).containsExactly("clientId", "clientSecret");
    }

    private Exchange operationOutcome(Throwable caught) throws Exception {
        Exchange exchange = failed(caught);
        responses.operationOutcome(exchange);
        return exchange;
    }

    private static Exchange failed(Throwable caught) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setProperty(Exchange.EXCEPTION_CAUGHT, caught);
        return exchange;
    }

    private static int status(Exchange exchange) {
        return exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
    }

    private static JsonNode body(Exchange exchange) throws Exception {
        return JSON.readTree(exchange.getMessage().getBody(byte[].class));
    }

    private static JsonNode issue(Exchange exchange) throws Exception {
        JsonNode outcome = body(exchange);
        assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
        return outcome.path("issue").path(0);
    }
}
