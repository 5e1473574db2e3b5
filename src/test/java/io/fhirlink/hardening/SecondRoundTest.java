package io.fhirlink.hardening;

import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.support.FaultyFhirServer;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LogCapture;
import io.fhirlink.support.RawHttp;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The second attack round on the proxy path: smuggling, slow callers, a dripping FHIR server, buffered bytes, a
 * server that answers twice, broken or hostile upstream headers. Each failed before the change it tests:
 * smuggled requests ran (the hidden GET reached the FHIR server), slow connections stayed open for good, a dripping
 * answer held its call for 1,000 s, two-answer servers handed a stray answer to the next call, a NUL in an upstream
 * header became a plain-text 500, HSTS and Connection-named headers reached the caller, and {@code …:4446} rewrote
 * {@code …:44460}.
 */
@Timeout(value = 90)
class SecondRoundTest {

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of(
                // long enough that the suite's own pooled connections are rarely closed under a request being sent
                "FHIRLINK_CLIENT_IDLE_TIMEOUT_MS", "5000",
                "FHIRLINK_UPSTREAM_DEADLINE_MS", "3000",
                "FHIRLINK_BUFFERED_BODY_BUDGET_BYTES", Integer.toString(1024 * 1024)));
    private static FaultyFhirServer faulty;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        faulty = new FaultyFhirServer();
        assertThat(harness.register("clinic").statusCode()).isEqualTo(201);
        assertThat(Hardening.register(harness, "faulty", faulty.baseUrl()).statusCode()).isEqualTo(201);
        // another organization's link, on the same FHIR server as clinic
        assertThat(harness.send("POST", "/FhirServers/aadfhirrecord", harness.token(OTHER_TENANT),
                harness.registration("other-org")).statusCode()).isEqualTo(201);
        token = harness.token(TENANT);
    }

    @AfterAll
    static void stop() throws Exception {
        faulty.close();
    }

    // ---------------------------------------------------------------- smuggling

    @ParameterizedTest
    @ValueSource(strings = {
            "Content-Length: 60\r\nTransfer-Encoding: chunked",
            "Content-Length: 60\r\nTransfer-Encoding: chunked, identity",
            "Content-Length: 60\r\nTransfer-Encoding:\tchunked",
            "Content-Length: 60\r\nTransfer-Encoding:\r\n chunked",
            "Transfer-Encoding: identity",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity"})
    void aRequestWithAmbiguousFraming_is400_andWhatItHidesNeverRuns(String framing) throws Exception {
        harness.fhir.clearRequests();
        String hidden = "GET /clinic/Patient/smuggled HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n";
        String request = "POST /clinic/Patient/_search HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/x-www-form-urlencoded\r\n" + framing + "\r\n\r\n0\r\n\r\n" + hidden;

        String answers = exchange(request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(3));

        assertThat(answers).startsWith("HTTP/1.1 400");
        assertThat(answers.split("HTTP/1.1 ", -1)).as("one answer, then the connection ends").hasSize(2);
        assertThat(harness.fhir.requests()).noneSatisfy(r -> assertThat(r.path()).contains("smuggled"));
    }

    @Test
    void twoHostHeaders_are400() throws Exception {
        String request = "GET /clinic/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nAuthorization: Bearer "
                + token + "\r\n\r\n";

        assertThat(exchange(request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(3))).startsWith("HTTP/1.1 400");
    }

    // ---------------------------------------------------------------- slow callers

    @Test
    void aRequestHeadDrippingInSlowly_isCutOff() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), harness.gateway().settings().httpPort())) {
            OutputStream out = socket.getOutputStream();
            out.write("GET /clinic/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            long started = System.nanoTime();
            boolean closed = false;
            try {
                for (int i = 0; i < 30 && !closed; i++) {
                    out.write(("X-Drip-" + i + ": a\r\n").getBytes(StandardCharsets.US_ASCII)); // progress, but never a whole head
                    out.flush();
                    Thread.sleep(400);
                }
            } catch (java.io.IOException reset) {
                closed = true;
            }
            socket.setSoTimeout(3000);
            closed |= readsToEnd(socket.getInputStream());
            assertThat(closed).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(9));
        }
    }

    @Test
    void anIdleKeptAliveConnection_isClosedAfterTheTimeout() throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), harness.gateway().settings().httpPort())) {
            socket.getOutputStream().write(("GET /clinic/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(10_000);
            long started = System.nanoTime();

            assertThat(readsToEnd(socket.getInputStream())).as("closed by the gateway").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(4000), Duration.ofSeconds(8));
        }
    }

    // ---------------------------------------------------------------- a slow FHIR server

    @Test
    void aDrippingAnswer_endsAtTheDeadline_with504() throws Exception {
        long started = System.nanoTime();

        HttpResponse<String> answer = harness.send("GET", "/faulty/Patient/drip", token, null);

        assertThat(answer.statusCode()).isEqualTo(504);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(6));
    }

    @Test
    void threeHundredDrippingCalls_leaveAnotherOrganizationsLinkAnsweringEveryCall() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> dripping = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            dripping.add(harness.http().sendAsync(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(harness.baseUrl() + "/faulty/Patient/drip")).header("Authorization", "Bearer " + token)
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        // every call reaches the server (a loaded machine opens 300 connections slowly)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(faulty.hits("/Patient/drip")).isGreaterThanOrEqualTo(300));

        String otherOrganization = harness.token(OTHER_TENANT);
        for (int i = 0; i < 20; i++) {
            assertThat(harness.send("GET", "/other-org/Patient?_count=1", otherOrganization, null).statusCode()).isEqualTo(200);
        }
        for (CompletableFuture<HttpResponse<String>> call : dripping) {
            assertThat(call.get().statusCode()).isEqualTo(504);
        }
    }

    // ---------------------------------------------------------------- bytes held in memory

    @Test
    void aBodyBeyondTheBufferedBudget_is503WithRetryAfter_andTheBudgetComesBack() throws Exception {
        String big = "family=" + "x".repeat(2 * 1024 * 1024);

        HttpResponse<String> refused = harness.send("POST", "/clinic/Patient/_search", token, big,
                "Content-Type", "application/x-www-form-urlencoded");
        HttpResponse<String> after = harness.send("POST", "/clinic/Patient/_search", token, "family=Nobody",
                "Content-Type", "application/x-www-form-urlencoded");

        Hardening.assertOperationOutcome(refused, 503, "transient");
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(after.statusCode()).isEqualTo(200);
    }

    @Test
    void anAnonymousUpload_isRefusedBeforeItsBodyIsRead() throws Exception {
        String request = "POST /clinic/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\n"
                + "Content-Length: 47185920\r\n\r\n{\"resourceType\":";

        String answer = exchange(request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(3));

        assertThat(answer).startsWith("HTTP/1.1 401").containsIgnoringCase("connection: close");
    }

    // ---------------------------------------------------------------- pooled connections

    @Test
    void aServerThatAnswersTwice_neverHandsTheStrayAnswerToTheNextCall() throws Exception {
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> twice = harness.send("GET", "/faulty/Patient/twice", token, null);
            HttpResponse<String> next = harness.send("GET", "/faulty/Patient/healthy", token, null);

            assertThat(twice.body()).contains("\"first\"");
            assertThat(next.body()).doesNotContain("stray");
        }
    }

    // ---------------------------------------------------------------- hostile upstream headers

    @ParameterizedTest
    @ValueSource(strings = {"/faulty/Patient/cut-headers", "/faulty/Patient/nul-header", "/faulty/Patient/bare-cr-header"})
    void brokenUpstreamHeaders_are502OperationOutcomes(String path) throws Exception {
        Hardening.assertOperationOutcome(harness.send("GET", path, token, null), 502, "transient");
    }

    @Test
    void brokenUpstreamConnections_areAnswered_withoutAnErrorLinePerConnection() throws Exception {
        LogCapture logs = new LogCapture();
        logs.attach();
        try {
            for (String path : List.of("/faulty/Patient/cut-headers", "/faulty/Patient/nul-header", "/faulty/Patient/twice",
                    "/faulty/Patient/reset-before-answer")) {
                harness.send("GET", path, token, null);
            }
        } finally {
            logs.detach();
        }

        // before: Vert.x logged each at ERROR (ConnectionBase, HttpClientRequestImpl), with the exception's text
        assertThat(logs.lines()).noneMatch(l -> l.startsWith("io.vertx.core.net.impl.ConnectionBase")
                || l.startsWith("io.vertx.core.http.impl.HttpClientRequestImpl") || l.startsWith("io.vertx.core.impl.ContextImpl"));
    }

    @Test
    void hopByHopAndTransportHeadersOfTheServer_stayBehind_andLocationKeepsItsHostBoundary() throws Exception {
        HttpResponse<String> answer = harness.send("GET", "/faulty/Patient/hop-headers", token, null);

        assertThat(answer.headers().firstValue("X-Upstream-Hop")).isEmpty();
        assertThat(answer.headers().firstValue("Strict-Transport-Security")).isEmpty();
        assertThat(answer.headers().firstValue("X-End-To-End")).hasValue("kept");
        assertThat(answer.headers().firstValue("Location")).hasValue(faulty.baseUrl() + "0/Patient/1");
        assertThat(answer.headers().firstValue("Content-Location")).hasValue(harness.baseUrl() + "/faulty/Patient/1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\\x85", "\\x9f", "\\xef\\xbc\\x8e\\xef\\xbc\\x8e"})
    void rawHighBytesOrFullwidthDotsInThePath_are400(String bytes) throws Exception {
        byte[] request = RawHttp.expand("GET /clinic/Patient/" + bytes + "/x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                + token + "\r\nConnection: close\r\n\r\n");

        assertThat(RawHttp.send(harness.gateway().settings().httpPort(), request).status()).isEqualTo(400);
    }

    // ---------------------------------------------------------------- helpers

    /** Sends raw bytes, keeps the connection as long as the gateway does, returns everything it answered. */
    private static String exchange(byte[] request, Duration limit) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), harness.gateway().settings().httpPort())) {
            socket.setSoTimeout((int) limit.toMillis());
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = socket.getInputStream().read(buffer)) > 0; ) {
                    got.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException | java.net.SocketException stillOpenOrReset) {
                // what arrived is the answer
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Reads until the peer closes (true) or the socket's timeout passes (false). */
    private static boolean readsToEnd(InputStream in) throws Exception {
        byte[] buffer = new byte[8192];
        try {
            while (in.read(buffer) >= 0) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }
}
