package io.fhirlink.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.config.ExchangeKeys;
import io.fhirlink.failure.FailureResponses;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.model.Model;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The proxy route's own logic, by step id, on the route file as shipped (fhir-proxy.camel.yaml, with the error
 * configuration), under camel-main but with no gateway: every step around it is advised away and the upstream calls
 * ({@code forward}, {@code forward-again}) are mock endpoints. What is left is the {@code on-token-rejected} branch: an
 * upstream 401 to a call that carried the link's Azure token renews the token and forwards once more; nothing else
 * does.
 */
@Tag("unit")
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one Camel context for the class: advised and started once
class FhirProxyRouteTest extends CamelMainTestSupport {

    /** The steps around the branch, each tested on its own (or end to end). */
    private static final List<String> OTHER_STEPS = List.of("begin-request-log", "parse-fhir-request",
            "authenticate-fhir-caller", "resolve-link", "authorize-caller", "admit-call", "read-request-body",
            "prepare-upstream-request", "attach-azure-token", "rewrite-response", "before-answer-hook",
            "describe-gateway-security", "write-answer");

    @Override
    public boolean isUseAdviceWith() {
        return true;
    }

    @Override
    protected String getPropertyPlaceholderLocations() {
        // not the gateway's application.properties: it would start the public and management servers
        return "classpath:fhir-proxy-route-test.properties;optional=true";
    }

    @Override
    protected void configure(MainConfigurationProperties configuration) {
        configuration.withRoutesIncludePattern("classpath:routes/fhir-proxy.camel.yaml,classpath:routes/error-handling.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) {
        registry.bind("failureResponses", new FailureResponses(new ObjectMapper()));
    }

    @Test
    void upstream401ToACallWithTheLinksToken_renewsTheTokenAndForwardsOnceMore() throws Exception {
        start();
        upstreamAnswers("forward", 401);
        upstreamAnswers("forward-again", 200);
        mock("renew-token").expectedMessageCount(1);
        mock("forward-again").expectedMessageCount(1);

        Exchange answered = call(true);

        MockEndpoint.assertIsSatisfied(context);
        assertThat(answered.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(200);
    }

    @Test
    void upstream401AgainAfterTheRetry_isAnsweredAsItIs_withoutASecondRetry() throws Exception {
        start();
        upstreamAnswers("forward", 401);
        upstreamAnswers("forward-again", 401);
        mock("renew-token").expectedMessageCount(1);
        mock("forward-again").expectedMessageCount(1);

        Exchange answered = call(true);

        MockEndpoint.assertIsSatisfied(context);
        assertThat(answered.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(401);
    }

    @Test
    void upstream401ToACallWithoutTheLinksToken_isNotRetried() throws Exception {
        start();
        upstreamAnswers("forward", 401);
        mock("renew-token").expectedMessageCount(0);
        mock("forward-again").expectedMessageCount(0);

        Exchange answered = call(false);

        MockEndpoint.assertIsSatisfied(context);
        assertThat(answered.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(401);
    }

    @Test
    void upstream403_isNotRetried() throws Exception {
        start();
        upstreamAnswers("forward", 403);
        mock("renew-token").expectedMessageCount(0);
        mock("forward-again").expectedMessageCount(0);

        Exchange answered = call(true);

        MockEndpoint.assertIsSatisfied(context);
        assertThat(answered.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(403);
    }

    /** The proxy route from a direct endpoint, its steps but the branch advised away; the other routes left out. */
    private void start() throws Exception {
        if (context.isStarted()) {
            MockEndpoint.resetMocks(context);
            return;
        }
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        for (String other : List.of("forward-upstream", "find-link")) {
            model.removeRouteDefinition(model.getRouteDefinition(other));
        }
        AdviceWith.adviceWith(context, "fhir-proxy", route -> {
            route.replaceFromWith("direct:fhir-proxy");
            OTHER_STEPS.forEach(id -> route.weaveById(id).remove());
            for (String call : List.of("forward", "renew-token", "attach-new-azure-token", "forward-again")) {
                route.weaveById(call).replace().to("mock:" + call);
            }
        });
        context.start();
    }

    private Exchange call(boolean tokenSent) {
        return template.send("direct:fhir-proxy", exchange -> exchange.setProperty(ExchangeKeys.TOKEN_SENT, tokenSent));
    }

    private void upstreamAnswers(String call, int status) {
        mock(call).whenAnyExchangeReceived(exchange -> exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status));
    }

    private MockEndpoint mock(String call) {
        return getMockEndpoint("mock:" + call);
    }
}
