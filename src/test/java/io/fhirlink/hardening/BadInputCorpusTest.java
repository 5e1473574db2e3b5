package io.fhirlink.hardening;

import static io.fhirlink.hardening.Hardening.assertProblem;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.RawHttp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input corpus (src/test/resources/corpus/): hostile registration bodies, proxy paths and headers,
 * oversized bodies, Host and X-Forwarded-* spoofing. Every case is refused with a 4xx that carries a message,
 * never a 5xx, and reaches neither Azure AD nor the FHIR server.
 */
@Timeout(value = 30)
class BadInputCorpusTest {

    static final String PUBLIC_BASE = "https://gateway.example.org";
    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of(
                "FHIRLINK_PUBLIC_BASE_URL", PUBLIC_BASE,
                "FHIRLINK_PROXY_MAX_BODY_BYTES", Integer.toString(1024 * 1024)));
    private static String token;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        assertThat(harness.register("corpus").statusCode()).isEqualTo(201);
        token = harness.token(TENANT);
        port = harness.gateway().settings().httpPort();
    }

    @BeforeEach
    void clearRecordings() {
        harness.fhir.clearRequests();
        harness.aad.resetCounters();
    }

    // ------------------------------------------------------------------ registration bodies

    static Stream<Arguments> registrationBodies() {
        List<Arguments> cases = new ArrayList<>();
        String category = "?";
        int n = 0;
        for (String line : Corpus.lines("registration-bodies.txt")) {
            if (line.startsWith("## ")) {
                category = line.substring(3);
                n = 0;
                continue;
            }
            cases.add(Arguments.of(category + " #" + ++n, line));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("registrationBodies")
    void hostileRegistrationBody_is4xxProblem_andContactsNothing(String name, String template) throws Exception {
        byte[] body = expandBody(template);
        HttpResponse<String> answer = harness.http().send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/FhirServers/aadfhirrecord"))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isBetween(400, 499);
        assertProblem(answer, answer.statusCode());
        assertThat(harness.aad.tokenRequests()).as("Azure AD token requests").isZero();
        assertThat(harness.fhir.requests()).as("requests to the FHIR server").isEmpty();
    }

    private static byte[] expandBody(String template) {
        String endpoint = harness.fhir.baseUrl();
        String text = template.replace("{{EMPTY}}", "").replace("{{SPACE}}", " ")
                .replace("{{ENDPOINT}}", endpoint)
                .replace("{{HOSTPORT}}", endpoint.substring("https://".length()))
                .replace("{{SECRET}}", GatewayHarness.CLIENT_SECRET)
                .replace("{{BOM}}", "\uFEFF").replace("{{NUL}}", "\u0000");
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int open = text.indexOf("{{", i);
            if (open < 0) {
                out.append(text, i, text.length());
                break;
            }
            out.append(text, i, open);
            int close = text.indexOf("}}", open);
            String[] parts = text.substring(open + 2, close).split(" ");
            switch (parts[0]) {
                case "REPEAT" -> out.append(parts[1].repeat(Integer.parseInt(parts[2])));
                case "NEST_ARRAY" -> out.append("[".repeat(Integer.parseInt(parts[1]))).append("]".repeat(Integer.parseInt(parts[1])));
                case "NEST_OBJECT" -> out.append("{\"a\":".repeat(Integer.parseInt(parts[1]))).append("1").append("}".repeat(Integer.parseInt(parts[1])));
                default -> out.append(text, open, close + 2);
            }
            i = close + 2;
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void afterTheWholeCorpus_onlyTheOneGoodLinkExists() throws Exception {
        HttpResponse<String> list = harness.send("GET", "/FhirServers/aadfhirrecord", token, null);
        assertThat(Hardening.json(list).findValuesAsText("fhirDatabaseDisplayName")).containsExactly("corpus");
    }

    // ------------------------------------------------------------------ proxy paths and headers

    static Stream<Arguments> proxyPaths() {
        return Corpus.lines("proxy-paths.txt").stream().map(line -> Arguments.of(line.substring(0, 3), line.substring(4)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("proxyPaths")
    void hostileProxyPath_isRefusedWithAMessage_andNeverForwarded(String expected, String path) throws Exception {
        byte[] target = RawHttp.expand(path.replace("{link}", "corpus"));

        RawHttp.Answer answer = RawHttp.send(port, RawHttp.request("GET", new String(target, StandardCharsets.ISO_8859_1), port, token, null, null));

        assertRefused(expected, answer);
    }

    static Stream<Arguments> proxyHeaders() {
        return Corpus.lines("proxy-headers.txt").stream().map(line -> Arguments.of(line.substring(0, 3).trim(), line.substring(4)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("proxyHeaders")
    void hostileProxyHeader_isRefusedWithAMessage_andNeverForwarded(String expected, String header) throws Exception {
        RawHttp.Answer answer = RawHttp.send(port, RawHttp.request("GET", "/corpus/Patient", port, token, RawHttp.expand(header), null));

        if (expected.equals("ok")) {
            assertHarmless(answer);
        } else {
            assertRefused(expected, answer);
        }
    }

    /** Input the HTTP parser reads as plain framing: whatever the answer, nothing injected travels on. */
    private static void assertHarmless(RawHttp.Answer answer) {
        assertThat(answer.status()).as(answer.head()).isBetween(200, 499);
        assertThat(answer.head()).doesNotContainIgnoringCase("X-Injected");
        for (var upstream : harness.fhir.requests()) {
            assertThat(upstream.path()).isEqualTo("/Patient");
            assertThat(upstream.hasHeader("X-Injected")).isFalse();
            upstream.headers().forEach((name, values) -> values.forEach(value ->
                    assertThat(value.chars().noneMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)).as(name).isTrue()));
        }
    }

    private static void assertRefused(String expected, RawHttp.Answer answer) {
        if (expected.equals("4xx")) {
            assertThat(answer.status()).as(answer.head()).isBetween(400, 499);
        } else {
            assertThat(answer.status()).as(answer.head()).isEqualTo(Integer.parseInt(expected));
        }
        // Requests the HTTP parser itself rejects (Vert.x, before any route) carry their message in the reason
        // phrase only; everything the gateway refuses carries an OperationOutcome or problem+json.
        String statusLine = answer.head().split("\r\n", 2)[0];
        assertThat(answer.body().isBlank() ? statusLine.substring(12).trim() : answer.body()).as("a message for the caller").isNotBlank();
        assertThat(harness.fhir.requests()).as("requests to the FHIR server").isEmpty();
    }

    // ------------------------------------------------------------------ oversized bodies

    @Test
    void proxyBodyOverTheLimit_is413_andNeverForwarded() throws Exception {
        byte[] big = new byte[2 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) ' ');
        HttpResponse<String> answer = harness.http().send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/corpus/Patient"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(413);
        assertThat(answer.body()).isNotBlank();
        assertThat(harness.fhir.requests()).isEmpty();
    }

    @Test
    void chunkedProxyBodyOverTheLimit_is413_andNeverForwarded() throws Exception {
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) ' ');
        HttpRequest.BodyPublisher unsized = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofByteArrays(java.util.Collections.nCopies(32, chunk)));
        HttpResponse<String> answer = harness.http().send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/corpus/Patient"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/fhir+json")
                .POST(unsized).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(413);
        assertThat(harness.fhir.requests()).isEmpty();
    }

    @Test
    void managementBodyOver64KiB_is413Problem() throws Exception {
        String big = "{\"description\":\"" + "x".repeat(100 * 1024) + "\"}";

        HttpResponse<String> answer = harness.send("POST", "/FhirServers/aadfhirrecord", token, big);

        assertProblem(answer, 413);
        assertThat(harness.aad.tokenRequests()).isZero();
    }

    // ------------------------------------------------------------------ Host and X-Forwarded-* spoofing

    @Test
    void spoofedHostAndForwardedHeaders_doNotChangeRewrittenUrls_whenThePublicBaseIsSet() throws Exception {
        String headers = "X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: gopher\r\nX-Forwarded-Port: 6666\r\n"
                + "Forwarded: host=evil.example;proto=http\r\nX-Original-URL: /FhirServers/aadfhirrecord\r\nX-Rewrite-URL: /x";
        byte[] request = RawHttp.request("GET", "/corpus/Patient?_count=1", port, token, headers.getBytes(StandardCharsets.ISO_8859_1), null);
        String spoofed = new String(request, StandardCharsets.ISO_8859_1).replace("Host: 127.0.0.1:" + port, "Host: evil.example");

        RawHttp.Answer answer = RawHttp.send(port, spoofed.getBytes(StandardCharsets.ISO_8859_1));

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body()).contains(PUBLIC_BASE + "/corpus/Patient").doesNotContain("evil.example", "gopher", "6666");
        assertThat(harness.fhir.requests()).singleElement().satisfies(upstream -> {
            assertThat(upstream.hasHeader("X-Forwarded-Host")).isFalse();
            assertThat(upstream.hasHeader("Forwarded")).isFalse();
            assertThat(upstream.hasHeader("X-Original-URL")).isFalse();
            assertThat(upstream.header("Host")).doesNotContain("evil");
        });
    }

}
