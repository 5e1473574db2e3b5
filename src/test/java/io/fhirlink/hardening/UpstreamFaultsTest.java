package io.fhirlink.hardening;

import static io.fhirlink.hardening.Hardening.assertOperationOutcome;
import static io.fhirlink.hardening.Hardening.upstreamPool;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fhirlink.support.FaultyFhirServer;
import io.fhirlink.support.GatewayHarness;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A FHIR server that misbehaves on real sockets: refuses, resets, cuts bodies, stalls, speaks garbage. The caller
 * always gets an answer it can act on (502/504 OperationOutcome, or a visibly broken stream when the fault comes
 * after the answer started), the gateway never retries behind the caller's back, gives every connection back
 * to its pool, and serves the next healthy request.
 */
@Timeout(value = 60)
class UpstreamFaultsTest {

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of());
    private static FaultyFhirServer faulty;
    private static FaultyFhirServer refusing;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        faulty = new FaultyFhirServer();
        refusing = new FaultyFhirServer();
        assertThat(Hardening.register(harness, "faulty", faulty.baseUrl()).statusCode()).isEqualTo(201);
        assertThat(Hardening.register(harness, "gone", refusing.baseUrl()).statusCode()).isEqualTo(201);
        refusing.close(); // registered while it answered; now nothing listens on its port
        token = harness.token(TENANT);
    }

    @AfterAll
    static void stop() throws Exception {
        faulty.close();
    }

    @AfterEach
    void nextHealthyRequestSucceeds_andNoConnectionStaysLeased() throws Exception {
        HttpResponse<String> healthy = harness.send("GET", "/faulty/Patient/healthy", token, null);
        assertThat(healthy.statusCode()).isEqualTo(200);
        assertThat(healthy.body()).contains("\"family\":\"Intact\"");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(upstreamPool(harness).getTotalStats().getLeased())
                .as("upstream connections still leased: %s", upstreamPool(harness).getTotalStats()).isZero());
    }

    @ParameterizedTest(name = "{0} → {1} {2}")
    @CsvSource({
            "reset-before-answer, 502, transient",
            "cut-small-body,      502, transient",
            "garbage-status,      502, transient",
            "broken-chunks,       502, transient",
            "slow,                504, timeout",
    })
    void upstreamFault_isAnOperationOutcome_withoutARetry(String fault, int status, String code) throws Exception {
        HttpResponse<String> answer = harness.send("GET", "/faulty/Patient/" + fault, token, null);

        assertOperationOutcome(answer, status, code);
        assertThat(answer.body()).doesNotContain(faulty.baseUrl());
        assertThat(faulty.hits("/Patient/" + fault)).as("requests the FHIR server received").isEqualTo(1);
    }

    @Test
    void refusedConnection_is502Transient_namingTheCause() throws Exception {
        // the first call may still pick the keep-alive connection of the probe, which the server dropped
        assertOperationOutcome(harness.send("GET", "/gone/Patient/healthy", token, null), 502, "transient");
        HttpResponse<String> answer = harness.send("GET", "/gone/Patient/healthy", token, null);

        assertOperationOutcome(answer, 502, "transient");
        assertThat(Hardening.json(answer).path("issue").path(0).path("diagnostics").asText()).contains("connection refused");
    }

    @Test
    void resetAfterTheAnswerStarted_breaksTheCallersStream_insteadOfEndingItCleanly() throws Exception {
        // Status and headers are already on their way when the FHIR server dies mid-body: the only honest signal
        // left is an incomplete response. A cleanly ended chunked body would pass a truncated Bundle off as whole.
        assertThatThrownBy(() -> harness.send("GET", "/faulty/Patient/cut-large-body", token, null))
                .isInstanceOf(IOException.class);
        assertThat(faulty.hits("/Patient/cut-large-body")).isEqualTo(1);
    }

    @Test
    void malformedJsonWithIntactFraming_passesThroughUnchanged_theGatewayDoesNotParseBodies() throws Exception {
        HttpResponse<String> answer = harness.send("GET", "/faulty/Patient/malformed-json", token, null);

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("{\"resourceType\":\"Patient\",\"id\":");
    }

    @Test
    void manyFaultsInARow_leaveThePoolUsable() throws Exception {
        for (int i = 0; i < 20; i++) {
            assertThat(harness.send("GET", "/faulty/Patient/" + (i % 2 == 0 ? "reset-before-answer" : "cut-small-body"), token, null)
                    .statusCode()).isEqualTo(502);
        }
        for (int i = 0; i < 20; i++) {
            assertThat(harness.send("GET", "/faulty/Patient/healthy", token, null).statusCode()).isEqualTo(200);
        }
    }
}
