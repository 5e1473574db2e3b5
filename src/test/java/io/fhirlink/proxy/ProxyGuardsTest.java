package io.fhirlink.proxy;

import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.links.LinkChangeListener;
import io.fhirlink.support.AzureFhirStandIn;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.RecordedRequest;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.camel.api.management.ManagedCamelContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the proxy refuses, how it fails, and what it never lets through. */
class ProxyGuardsTest {

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass();
    private static String token;

    @BeforeAll
    static void linkServer() throws Exception {
        assertThat(harness.register("ward").statusCode()).isEqualTo(201);
        token = harness.token(TENANT);
    }

    // ---------------------------------------------------------------- identity and ownership

    @Test
    void noCallerToken_is401WithBearerChallenge() throws Exception {
        HttpResponse<String> answer = harness.send("GET", "/ward/Patient", null, null);

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(answer.body()).contains("\"resourceType\":\"OperationOutcome\"").contains("\"code\":\"login\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /ward/Patient", "GET /ward/Patient/1", "POST /ward/Patient", "GET /ward/metadata",
            "GET /ward/Patient/1/_history", "DELETE /ward/Patient/1", "POST /ward"})
    void callerOfAnotherOrganization_gets404LikeAnUnknownLink(String call) throws Exception {
        String[] parts = call.split(" ");
        String body = parts[0].equals("POST") ? "{\"resourceType\":\"Patient\"}" : null;

        HttpResponse<String> other = harness.send(parts[0], parts[1], harness.token(OTHER_TENANT), body);
        HttpResponse<String> unknown = harness.send(parts[0], parts[1].replace("/ward", "/no-such-link"),
                harness.token(OTHER_TENANT), body);

        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.body()).isEqualTo(unknown.body().replace("no-such-link", "ward"));
    }

    @Test
    void capabilityStatement_isReadableWithoutCallerToken_withUrlsRewritten() throws Exception {
        HttpResponse<String> answer = harness.send("GET", "/ward/metadata", null, null);

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("CapabilityStatement").doesNotContain(harness.fhir.baseUrl());
    }

    @Test
    void callersAuthorizationAndCookies_neverReachTheServer() throws Exception {
        harness.fhir.clearRequests();

        harness.send("GET", "/ward/Patient?_count=1", token, null, "Cookie", "session=abc",
                "X-Forwarded-Host", "evil.example", "Proxy-Authorization", "Basic eA==", "Accept", "application/fhir+json",
                "Prefer", "return=minimal", "X-Request-Id", "req-123");

        RecordedRequest received = harness.fhir.requests().get(0);
        assertThat(received.header("Authorization")).startsWith("Bearer ").doesNotContain(token);
        assertThat(received.hasHeader("Cookie")).isFalse();
        assertThat(received.hasHeader("X-Forwarded-Host")).isFalse();
        assertThat(received.hasHeader("Proxy-Authorization")).isFalse();
        assertThat(received.header("Accept")).isEqualTo("application/fhir+json");
        assertThat(received.header("Prefer")).isEqualTo("return=minimal");
        assertThat(received.header("X-Request-Id")).isEqualTo("req-123");
    }

    @Test
    void responseHeaders_keepUpstreamEndToEndHeadersAndEchoTheRequestId() throws Exception {
        HttpResponse<String> answer = harness.send("GET", "/ward/Patient?_count=1", token, null, "X-Request-Id", "trace-42");

        assertThat(answer.headers().firstValue("x-ms-request-charge")).hasValue("1.0");
        assertThat(answer.headers().firstValue("X-Request-Id")).hasValue("trace-42");
        assertThat(answer.headers().firstValue("Authorization")).isEmpty();
    }

    @Test
    void aSmallAnswer_isFramedByItsLength_notChunked() throws Exception {
        HttpResponse<String> answer = harness.send("GET", "/ward/Patient?_count=1", token, null);

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Length"))
                .hasValue(Integer.toString(answer.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length));
        assertThat(answer.headers().firstValue("Transfer-Encoding")).isEmpty();
    }

    // ---------------------------------------------------------------- Azure tokens

    @Test
    void concurrentFirstRequests_makeOneTokenRequest_andSteadyTrafficNoneAndNoQuery() throws Exception {
        LinkChangeListener changes = harness.gateway().bean("linkChangeListener", LinkChangeListener.class);
        long notified = changes.notifications();
        assertThat(harness.register("cold-start").statusCode()).isEqualTo(201);
        // the registration's change notification drops the name's cached tokens: let it land before measuring
        await().atMost(Duration.ofSeconds(5)).until(() -> changes.notifications() > notified);
        harness.aad.resetCounters();
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> answers = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            answers.add(harness.http().sendAsync(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(harness.baseUrl() + "/cold-start/Patient?_count=1"))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var answer : answers) {
            assertThat(answer.get().statusCode()).as(answer.get().body()).isEqualTo(200);
        }
        assertThat(harness.aad.tokenRequests()).isEqualTo(1);

        long queriesBefore = findLinkQueries();
        for (int i = 0; i < 1000; i++) {
            assertThat(harness.send("GET", "/cold-start/Patient/x-" + (i % 7), token, null).statusCode()).isEqualTo(404);
        }
        assertThat(harness.aad.tokenRequests()).isEqualTo(1);
        assertThat(findLinkQueries()).isEqualTo(queriesBefore);
    }

    @Test
    void tokenRejectedOnce_isHealedByOneRetry_invisibleToTheClient() throws Exception {
        harness.aad.resetCounters();
        harness.fhir.rejectNextTokens(1);

        HttpResponse<String> answer = harness.send("GET", "/ward/Patient?_count=1", token, null);

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(harness.aad.tokenRequests()).isEqualTo(1);
    }

    @Test
    void azureAdRefusingTheStoredSecret_is502SecurityNamingTheCode() throws Exception {
        String clientId = "0f0e0d0c-0b0a-4909-8807-060504030201";
        harness.aad.registerApp(TENANT, clientId, "first-secret", true);
        String body = harness.registration("expiring").replace(GatewayHarness.CLIENT_ID, clientId)
                .replace(GatewayHarness.CLIENT_SECRET, "first-secret");
        assertThat(harness.send("POST", "/FhirServers/aadfhirrecord", token, body).statusCode()).isEqualTo(201);
        harness.aad.expireSecret(clientId);

        HttpResponse<String> answer = harness.send("GET", "/expiring/Patient", token, null);

        assertThat(answer.statusCode()).isEqualTo(502);
        assertThat(answer.body()).contains("\"code\":\"security\"").contains("AADSTS7000222")
                .contains("update the link's client secret");
    }

    // ---------------------------------------------------------------- upstream failures

    @Test
    void unreachableServer_is502Transient() throws Exception {
        AzureFhirStandIn doomed = AzureFhirStandIn.start(harness.aad, TENANT);
        String body = harness.registration("doomed").replace(harness.fhir.baseUrl(), doomed.baseUrl());
        assertThat(harness.send("POST", "/FhirServers/aadfhirrecord", token, body).statusCode()).isEqualTo(201);
        doomed.close();

        HttpResponse<String> answer = harness.send("GET", "/doomed/Patient", token, null);

        assertThat(answer.statusCode()).isEqualTo(502);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/fhir+json"));
        assertThat(answer.body()).contains("\"code\":\"transient\"");
    }

    @Test
    void slowServer_is504Timeout() throws Exception {
        harness.fhir.setResponseDelay(Duration.ofSeconds(5));
        try {
            long start = System.nanoTime();
            HttpResponse<String> answer = harness.send("GET", "/ward/Patient", token, null);

            assertThat(answer.statusCode()).isEqualTo(504);
            assertThat(answer.body()).contains("\"code\":\"timeout\"");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        } finally {
            harness.fhir.setResponseDelay(Duration.ZERO);
        }
    }

    @Test
    void throttling_passesThroughWithRetryHeaders() throws Exception {
        harness.fhir.throttleNext(1);

        HttpResponse<String> answer = harness.send("GET", "/ward/Patient", token, null);

        assertThat(answer.statusCode()).isEqualTo(429);
        assertThat(answer.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(answer.headers().firstValue("x-ms-retry-after-ms")).hasValue("2000");
    }

    @Test
    void upstreamErrors_passThroughUnchanged() throws Exception {
        HttpResponse<String> answer = harness.send("GET", "/ward/Patient/does-not-exist", token, null);

        assertThat(answer.statusCode()).isEqualTo(404);
        assertThat(answer.body()).contains("OperationOutcome").contains("does-not-exist");
    }

    // ---------------------------------------------------------------- refused paths

    @ParameterizedTest
    @ValueSource(strings = {"/ward/Patient/$export", "/ward/.well-known/smart-configuration"}) // the rest: FhirRequestParserTest
    void notSupportedThroughALink_is501(String path) throws Exception {
        harness.fhir.clearRequests();

        HttpResponse<String> answer = harness.send("GET", path, token, null);

        assertThat(answer.statusCode()).isEqualTo(501);
        assertThat(answer.body()).contains("\"code\":\"not-supported\"");
        assertThat(harness.fhir.requests()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ward/../FhirServers/aadfhirrecord", "/ward/%252e%252e/x"}) // the rest: FhirRequestParserTest
    void pathsLeavingTheLinkBase_are400AndNeverForwarded(String path) throws Exception {
        harness.fhir.clearRequests();

        String statusLine = rawGet(path);

        assertThat(statusLine).startsWith("HTTP/1.1 400");
        assertThat(harness.fhir.requests()).isEmpty();
    }

    /** Sends the path exactly as written: HTTP clients would normalise or refuse these. */
    private static String rawGet(String path) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", harness.gateway().settings().httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return answer.isEmpty() ? "(no answer)" : answer.substring(0, answer.indexOf("\r\n"));
        }
    }

    private static long findLinkQueries() {
        return harness.gateway().camelContext().getCamelContextExtension().getContextPlugin(ManagedCamelContext.class)
                .getManagedRoute("find-link").getExchangesTotal();
    }
}
