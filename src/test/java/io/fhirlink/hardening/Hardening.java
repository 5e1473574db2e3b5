package io.fhirlink.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import java.io.IOException;
import java.net.http.HttpResponse;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;

/** Small helpers the hardening tests share: link bodies, answer checks, waiting for a condition. */
final class Hardening {

    static final ObjectMapper JSON = new ObjectMapper();

    private Hardening() {
    }

    static String registration(String name, String endpoint) {
        return LinkBody.registration(name, endpoint).tenant(GatewayHarness.TENANT).json();
    }

    static HttpResponse<String> register(GatewayHarness harness, String name, String endpoint) throws IOException, InterruptedException {
        return harness.send("POST", "/FhirServers/aadfhirrecord", harness.token(GatewayHarness.TENANT), registration(name, endpoint));
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    /** A FHIR-path failure as the contract says: the status, an OperationOutcome with the code and a message. */
    static void assertOperationOutcome(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("application/fhir+json"));
        JsonNode body = json(response);
        assertThat(body.path("resourceType").asText()).isEqualTo("OperationOutcome");
        if (code != null) {
            assertThat(body.path("issue").path(0).path("code").asText()).isEqualTo(code);
        }
        assertThat(body.path("issue").path(0).path("diagnostics").asText()).isNotBlank().doesNotContain("\tat ", "Exception");
    }

    /** A management failure as the contract says: problem+json with the status and a detail. */
    static void assertProblem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("application/problem+json"));
        JsonNode body = json(response);
        assertThat(body.path("status").asInt()).isEqualTo(status);
        assertThat(body.path("detail").asText()).isNotBlank().doesNotContain("\tat ", "Exception");
    }

    static PoolingHttpClientConnectionManager upstreamPool(GatewayHarness harness) {
        return harness.gateway().bean("upstreamConnections", PoolingHttpClientConnectionManager.class);
    }
}
