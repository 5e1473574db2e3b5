package io.fhirlink.hardening;

import static io.fhirlink.hardening.Hardening.assertOperationOutcome;
import static io.fhirlink.hardening.Hardening.assertProblem;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.MovableClock;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Azure AD goes away. Tokens the gateway already holds keep links working; once they run out, callers get a 502
 * that says Azure AD is the cause; registrations (which must test credentials) answer 503 with Retry-After; when
 * Azure AD comes back, everything works again without a restart.
 */
@Timeout(value = 60)
class AzureAdOutageTest {

    private static final MovableClock CLOCK = new MovableClock();

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of(), CLOCK);
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        assertThat(harness.register("steady").statusCode()).isEqualTo(201);
        assertThat(harness.register("shortlived").statusCode()).isEqualTo(201);
        token = harness.token(TENANT);
    }

    @AfterEach
    void azureAdBack() {
        harness.aad.setAvailable(true);
        harness.aad.setTokenLifetimeSeconds(3599);
    }

    @Test
    void azureAdDown_cachedTokenKeepsTheLinkWorking() throws Exception {
        assertThat(harness.send("GET", "/steady/Patient", token, null).statusCode()).isEqualTo(200);
        harness.aad.resetCounters();
        harness.aad.setAvailable(false);

        for (int i = 0; i < 5; i++) {
            assertThat(harness.send("GET", "/steady/Patient?_count=1", token, null).statusCode()).isEqualTo(200);
        }
        assertThat(harness.aad.tokenRequests()).as("token requests during the outage").isZero();
    }

    @Test
    void azureAdDown_afterTheTokenRunsOut_is502NamingAzureAd_andRecoversWhenItIsBack() throws Exception {
        // A 6 s token is kept for 3 s (half its lifetime); msal4j's own cache ignores tokens under 300 s.
        harness.aad.setTokenLifetimeSeconds(6);
        assertThat(harness.send("GET", "/shortlived/Patient", token, null).statusCode()).isEqualTo(200);
        harness.aad.setAvailable(false);
        assertThat(harness.send("GET", "/shortlived/Patient", token, null).statusCode()).as("still cached").isEqualTo(200);

        CLOCK.advance(Duration.ofMillis(3_500)); // the gateway's clock: its cached token is now due for renewal
        HttpResponse<String> expired = harness.send("GET", "/shortlived/Patient", token, null);

        assertOperationOutcome(expired, 502, "transient");
        assertThat(Hardening.json(expired).path("issue").path(0).path("diagnostics").asText()).contains("Azure AD");

        harness.aad.setAvailable(true);
        assertThat(harness.send("GET", "/shortlived/Patient", token, null).statusCode()).isEqualTo(200);
    }

    @Test
    void registrationWhileAzureAdIsDown_is503WithRetryAfter_andNothingIsSaved() throws Exception {
        harness.aad.setAvailable(false);

        HttpResponse<String> answer = harness.register("during-outage");

        assertProblem(answer, 503);
        assertThat(answer.headers().firstValue("Retry-After")).isPresent();
        assertThat(Hardening.json(answer).path("detail").asText()).contains("Azure AD");
        assertThat(harness.send("GET", "/FhirServers/aadfhirrecord/during-outage", token, null).statusCode()).isEqualTo(404);
    }
}
