package io.fhirlink.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The guard in front of routing answers a refused path with the OperationOutcome the parser's 400 carries (its
 * decision is {@link PathSafety}'s, tested in {@link PathSafetyTest}; that it runs before routing is proved end to
 * end by {@code ProxyGuardsTest} and the bad-input corpus).
 */
@Tag("unit")
class RawPathGuardTest {

    @Test
    void refusal_isAnOperationOutcomeCarryingTheParsersWords() throws Exception {
        JsonNode outcome = new ObjectMapper().readTree(RawPathGuard.FHIR_BODY);

        assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(outcome.path("issue").path(0).path("severity").asText()).isEqualTo("error");
        assertThat(outcome.path("issue").path(0).path("code").asText()).isEqualTo("invalid");
        assertThat(outcome.path("issue").path(0).path("diagnostics").asText()).isEqualTo(PathSafety.REFUSED);
    }
}
