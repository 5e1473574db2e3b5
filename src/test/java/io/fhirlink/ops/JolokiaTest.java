package io.fhirlink.ops;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.support.GatewayHarness;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Jolokia on the management port as Hawtio uses it, with HTTP alone: Camel's route statistics and fhir-link's own
 * MBeans are readable, the link cache can be evicted, and the shipped policy (jolokia-access.xml) refuses every write
 * and every other operation. Basic auth guards Jolokia only; with the variable unset Jolokia is not served at all.
 */
class JolokiaTest {

    private static final String USER = "hawtio";
    private static final String PASSWORD = "jolokia~pass:word";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of(
                "FHIRLINK_JOLOKIA_ENABLED", "true",
                "FHIRLINK_JOLOKIA_USER", USER,
                "FHIRLINK_JOLOKIA_PASSWORD", PASSWORD));
    private static String token;
    private static String proxyRoute;
    private static String linkTraffic;
    private static String linkCache;

    @BeforeAll
    static void start() throws Exception {
        assertThat(harness.register("clinic").statusCode()).isEqualTo(201);
        token = harness.token(TENANT);
        assertThat(harness.send("GET", "/clinic/Patient", token, null).statusCode()).isEqualTo(200);

        // the names as Hawtio finds them: by searching, not from the gateway's internals
        proxyRoute = onlyName(jolokia("""
                {"type": "search", "mbean": "org.apache.camel:type=routes,name=\\"fhir-proxy\\",context=%s,*"}
                """.formatted(harness.gateway().camelContext().getManagementName())));
        String fhirlink = "io.fhirlink:port=" + harness.gateway().settings().httpPort();
        linkTraffic = onlyName(jolokia(search(fhirlink + ",type=LinkTraffic,name=\"clinic\"")));
        linkCache = onlyName(jolokia(search(fhirlink + ",type=LinkCache")));
    }

    @Test
    void jolokia_readsTheProxyRoutesExchangesTotal_andTheLinksTrafficCounters() throws Exception {
        long exchangesBefore = read(proxyRoute, "ExchangesTotal");
        long requestsBefore = read(linkTraffic, "Requests");
        long okBefore = read(linkTraffic, "Status2xx");

        for (int i = 0; i < 3; i++) {
            assertThat(harness.send("GET", "/clinic/Patient", token, null).statusCode()).isEqualTo(200);
        }

        // both are counted once the answer has been written, a moment after the client has it
        assertThat(readEventually(proxyRoute, "ExchangesTotal", n -> n >= exchangesBefore + 3)).isEqualTo(exchangesBefore + 3);
        assertThat(readEventually(linkTraffic, "Requests", n -> n >= requestsBefore + 3)).isEqualTo(requestsBefore + 3);
        assertThat(read(linkTraffic, "Status2xx")).isEqualTo(okBefore + 3);
    }

    @Test
    void jolokia_runsTheLinkCacheEvict_soTheNextCallReadsTheLinkFromTheDatabase() throws Exception {
        assertThat(harness.send("GET", "/clinic/Patient", token, null).statusCode()).isEqualTo(200);
        long lookupsBefore = read(linkCache, "DatabaseLookups");

        JsonNode evicted = jolokia("""
                {"type": "exec", "mbean": %s, "operation": "evict", "arguments": ["clinic"]}
                """.formatted(JSON.writeValueAsString(linkCache)));
        assertThat(evicted.path("status").asInt()).as(evicted.toString()).isEqualTo(200);

        assertThat(harness.send("GET", "/clinic/Patient", token, null).statusCode()).isEqualTo(200);
        assertThat(read(linkCache, "DatabaseLookups")).isEqualTo(lookupsBefore + 1);
    }

    @Test
    void jolokia_refusesWritingACamelAttribute() throws Exception {
        JsonNode written = jolokia("""
                {"type": "write", "mbean": %s, "attribute": "Tracing", "value": true}
                """.formatted(JSON.writeValueAsString(proxyRoute)));

        assertRefused(written);
        assertThat(jolokia(readRequest(proxyRoute, "Tracing")).path("value").asBoolean()).isFalse();
    }

    @Test
    void jolokia_refusesStoppingARoute() throws Exception {
        JsonNode stopped = jolokia("""
                {"type": "exec", "mbean": %s, "operation": "stop", "arguments": []}
                """.formatted(JSON.writeValueAsString(proxyRoute)));

        assertRefused(stopped);
        assertThat(jolokia(readRequest(proxyRoute, "State")).path("value").asText()).isEqualTo("Started");
        assertThat(harness.send("GET", "/clinic/Patient", token, null).statusCode()).isEqualTo(200);
    }

    @Test
    void jolokia_readsJvmMemory_butRefusesOtherDomains() throws Exception {
        assertThat(jolokia(readRequest("java.lang:type=Memory", "HeapMemoryUsage")).path("status").asInt()).isEqualTo(200);

        assertRefused(jolokia(readRequest("java.lang:type=Runtime", "InputArguments")));
        assertRefused(jolokia("""
                {"type": "exec", "mbean": "java.lang:type=Memory", "operation": "gc", "arguments": []}
                """));
    }

    @Test
    void jolokia_withoutOrWithWrongCredentials_is401_whileHealthStaysOpen() throws Exception {
        String version = "{\"type\": \"version\"}";

        assertThat(post(version, null).statusCode()).isEqualTo(401);
        assertThat(post(version, basic(USER, "wrong")).statusCode()).isEqualTo(401);
        assertThat(post(version, basic("someone", PASSWORD)).statusCode()).isEqualTo(401);
        assertThat(post(version, basic(USER, PASSWORD)).statusCode()).isEqualTo(200);
        assertThat(get(harness.managementUrl() + "/observe/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    void jolokia_isNotServed_whenTheVariableIsUnset() throws Exception {
        try (GatewayHarness plain = GatewayHarness.start()) {
            assertThat(get(plain.managementUrl() + "/observe/jolokia/version").statusCode()).isEqualTo(404);
            assertThat(get(plain.managementUrl() + "/observe/jolokia").statusCode()).isEqualTo(404);
            assertThat(get(plain.managementUrl() + "/observe/health/live").statusCode()).isEqualTo(200);
        }
    }

    // --- Jolokia over plain HTTP ---

    private static JsonNode jolokia(String request) throws Exception {
        HttpResponse<String> answer = post(request, basic(USER, PASSWORD));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    private static long read(String mbean, String attribute) throws Exception {
        JsonNode answer = jolokia(readRequest(mbean, attribute));
        assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(200);
        return answer.path("value").asLong();
    }

    /** Polls until the value satisfies the condition (5 s at most) and returns the last value read. */
    private static long readEventually(String mbean, String attribute, LongPredicate condition) {
        return await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> read(mbean, attribute), condition::test);
    }

    private static String readRequest(String mbean, String attribute) throws Exception {
        return JSON.writeValueAsString(Map.of("type", "read", "mbean", mbean, "attribute", attribute));
    }

    private static String search(String pattern) throws Exception {
        return JSON.writeValueAsString(Map.of("type", "search", "mbean", pattern));
    }

    private static String onlyName(JsonNode searched) {
        assertThat(searched.path("value")).as(searched.toString()).hasSize(1);
        return searched.path("value").get(0).asText();
    }

    /** The policy's refusal: Jolokia answers HTTP 200 with status 403 and "... forbidden for MBean ..." in the body. */
    private static void assertRefused(JsonNode answer) {
        assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(403);
        assertThat(answer.path("error").asText()).as(answer.toString()).contains("forbidden");
    }

    private static HttpResponse<String> post(String body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(harness.managementUrl() + "/observe/jolokia"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return harness.http().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return harness.http().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
