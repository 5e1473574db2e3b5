package io.fhirlink.proxy;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import io.fhirlink.support.AzureFhirStandIn;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LargeBundleServer;
import io.fhirlink.support.LinkBody;
import io.fhirlink.support.RawHttp;
import io.fhirlink.support.RecordedRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestSecurityComponent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What real FHIR clients (browser apps, HAPI, fhir-kit, curl) expect beyond the interactions themselves: CORS for
 * browsers, raw UTF-8 queries, the anonymous capabilities interaction, compressed answers and a CapabilityStatement
 * that describes the gateway's security. Through a gateway with CORS configured and compression on (its
 * default level), against the Azure-like stand-in and, for deterministic and large bodies, the large-bundle server.
 */
class FhirClientFidelityTest {

    private static final String APP = "https://app.example.org";
    /** The gateway's default FHIRLINK_CALLER_AUDIENCE, which the Azure AD stand-in's caller tokens carry. */
    private static final String AUDIENCE = "api://fhir-link";
    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of(
                "FHIRLINK_CORS_ALLOWED_ORIGINS", APP + ", https://other-app.example.org"));
    private static LargeBundleServer large;

    @BeforeAll
    static void linkServers() throws Exception {
        assertThat(harness.register("clinic").statusCode()).isEqualTo(201);
        large = LargeBundleServer.start();
        String body = LinkBody.registration("large", large.baseUrl()).tenant(TENANT).json();
        assertThat(harness.send("POST", "/FhirServers/aadfhirrecord", harness.token(TENANT), body).statusCode())
                .isEqualTo(201);
    }

    @AfterAll
    static void stop() throws Exception {
        large.close();
    }

    @BeforeEach
    void freshStandIn() {
        harness.fhir.reset();
    }

    // ------------------------------------------------------------------ CORS

    @Test
    void preflight_fromAnAllowedOrigin_isAnsweredByTheGatewayWithoutAToken() throws Exception {
        HttpResponse<String> preflight = preflight("/clinic/Patient", APP);

        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().map()).containsEntry("access-control-allow-origin", java.util.List.of(APP))
                .containsKey("access-control-allow-methods").containsKey("access-control-allow-headers")
                .containsEntry("access-control-max-age", java.util.List.of("600"));
        assertThat(preflight.headers().firstValue("access-control-allow-headers").orElseThrow())
                .contains("Authorization", "If-None-Exist", "Prefer");
        assertThat(harness.fhir.requests()).isEmpty();
    }

    @Test
    void preflight_onTheManagementApi_isAnsweredWithoutAToken() throws Exception {
        HttpResponse<String> preflight = preflight("/FhirServers/aadfhirrecord", APP);

        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("access-control-allow-origin")).hasValue(APP);
    }

    @Test
    void answer_toAnAllowedOrigin_carriesTheGatewaysCorsHeaders_notTheFhirServersOwn() throws Exception {
        harness.fhir.sendOwnCorsHeaders(true);

        HttpResponse<String> answer = send(get("/clinic/Patient").header("Origin", APP));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().allValues("access-control-allow-origin")).containsExactly(APP);
        assertThat(answer.headers().firstValue("access-control-expose-headers").orElseThrow())
                .contains("Location", "ETag", "WWW-Authenticate", "x-ms-retry-after-ms");
        assertThat(answer.headers().map()).doesNotContainKeys("access-control-allow-credentials", "access-control-max-age");
        assertThat(answer.headers().allValues("vary")).singleElement().satisfies(v -> assertThat(v).contains("Origin"));
    }

    @Test
    void unauthenticatedAnswer_toAnAllowedOrigin_letsTheBrowserAppReadTheChallenge() throws Exception {
        HttpResponse<String> answer = send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/clinic/Patient"))
                .header("Origin", APP));

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.headers().firstValue("access-control-allow-origin")).hasValue(APP);
        assertThat(answer.headers().firstValue("access-control-expose-headers").orElseThrow()).contains("WWW-Authenticate");
    }

    @Test
    void anotherOrigin_getsNoCorsHeaders_andItsPreflightIsTreatedAsAnyRequest() throws Exception {
        HttpResponse<String> answer = send(get("/clinic/Patient").header("Origin", "https://evil.example.org"));
        HttpResponse<String> preflight = preflight("/clinic/Patient", "https://evil.example.org");

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(preflight.statusCode()).isEqualTo(401);
        assertThat(answer.headers().map().keySet()).noneMatch(h -> h.startsWith("access-control-"));
        assertThat(preflight.headers().map().keySet()).noneMatch(h -> h.startsWith("access-control-"));
    }

    // ------------------------------------------------------------------ raw UTF-8 in a query

    @Test
    void rawUtf8InAQuery_reachesTheFhirServerAsTheSameUtf8Bytes() throws Exception {
        RawHttp.Answer answer = rawGet("/clinic/Patient?name=Zo\\xC3\\xAB");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(harness.fhir.requests()).singleElement().extracting(RecordedRequest::rawQuery)
                .isEqualTo("name=Zo%C3%AB");
    }

    @Test
    void rawBytesThatAreNotUtf8_areRefusedWith400_beforeTheFhirServerSeesThem() throws Exception {
        RawHttp.Answer answer = rawGet("/clinic/Patient?name=Zo\\xEB");

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.body()).contains("OperationOutcome", "UTF-8");
        assertThat(harness.fhir.requests()).isEmpty();
    }

    // ------------------------------------------------------------------ OPTIONS [base]

    @Test
    void optionsOnTheBase_answersTheCapabilityStatementWithoutAToken() throws Exception {
        HttpResponse<String> withSlash = send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/clinic/"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        HttpResponse<String> withoutSlash = send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/clinic"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));

        assertThat(withSlash.statusCode()).isEqualTo(200);
        assertThat(withoutSlash.statusCode()).isEqualTo(200);
        assertThat(withSlash.body()).contains("\"resourceType\":\"CapabilityStatement\"");
    }

    // ------------------------------------------------------------------ compression

    @Test
    void searchPage_forACallerAcceptingGzip_isGzipOfThePlainAnswer() throws Exception {
        byte[] plain = bytes(get("/large/Patient?entries=5")).body();
        HttpResponse<byte[]> compressed = bytes(get("/large/Patient?entries=5").header("Accept-Encoding", "gzip"));

        assertThat(compressed.headers().firstValue("content-encoding")).hasValue("gzip");
        assertThat(gunzip(compressed.body())).isEqualTo(plain);
    }

    @Test
    void compressedWholeAnswer_declaresItsCompressedLength() throws Exception {
        HttpResponse<byte[]> compressed = bytes(get("/large/Patient?entries=5").header("Accept-Encoding", "gzip"));

        assertThat(compressed.headers().firstValue("content-length")).hasValue(Integer.toString(compressed.body().length));
    }

    @Test
    void streamedAnswer_forACallerAcceptingGzip_isGzipOfThePlainAnswer() throws Exception {
        int entries = 600; // about 600 KB: larger than the gateway holds whole (256 KB), so it streams
        byte[] plain = bytes(get("/large/Patient?entries=" + entries)).body();
        HttpResponse<byte[]> compressed = bytes(get("/large/Patient?entries=" + entries).header("Accept-Encoding", "gzip"));

        assertThat(plain.length).isGreaterThan(UpstreamForwarder.SMALL_BODY_BYTES);
        assertThat(compressed.headers().firstValue("content-encoding")).hasValue("gzip");
        assertThat(gunzip(compressed.body())).isEqualTo(plain);
    }

    @Test
    void answer_toACallerNotAcceptingGzip_isPlain() throws Exception {
        HttpResponse<byte[]> answer = bytes(get("/large/Patient?entries=5"));

        assertThat(answer.headers().firstValue("content-encoding")).isEmpty();
        assertThat(new String(answer.body(), StandardCharsets.UTF_8)).startsWith("{\"resourceType\":\"Bundle\"");
    }

    @Test
    void smallAnswer_staysPlainEvenWhenGzipIsAccepted() throws Exception {
        HttpResponse<byte[]> answer = bytes(get("/large/Patient?entries=1").header("Accept-Encoding", "gzip"));

        assertThat(answer.body().length).isLessThan((int) AnswerCompression.MIN_BYTES);
        assertThat(answer.headers().firstValue("content-encoding")).isEmpty();
    }

    // ------------------------------------------------------------------ the CapabilityStatement's security

    @Test
    void capabilityStatement_describesTheGatewaysCallerAuthentication_notTheFhirServersAzureAd() throws Exception {
        HttpResponse<String> metadata = send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/clinic/metadata")));

        CapabilityStatementRestSecurityComponent security = FhirContext.forR4Cached().newJsonParser()
                .parseResource(CapabilityStatement.class, metadata.body()).getRestFirstRep().getSecurity();
        assertThat(metadata.body()).doesNotContain(AzureFhirStandIn.OAUTH_URIS, serversTokenEndpoints());
        assertThat(security.getServiceFirstRep().getCodingFirstRep().getCode()).isEqualTo("OAuth");
        assertThat(security.getDescription()).contains(AUDIENCE, harness.aad.callerIssuer("{your tenant id}"));
        assertThat(security.getCors()).isTrue();
    }

    @Test
    void capabilityStatementInXml_describesTheGatewaysCallerAuthentication() throws Exception {
        HttpResponse<String> metadata = send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + "/clinic/metadata"))
                .header("Accept", "application/fhir+xml"));

        CapabilityStatementRestSecurityComponent security = FhirContext.forR4Cached().newXmlParser()
                .parseResource(CapabilityStatement.class, metadata.body()).getRestFirstRep().getSecurity();
        assertThat(metadata.body()).doesNotContain(AzureFhirStandIn.OAUTH_URIS, serversTokenEndpoints());
        assertThat(security.getDescription()).contains(AUDIENCE);
    }

    // ------------------------------------------------------------------

    /** Where the FHIR server's tenant issues tokens (the gateway's callers' issuer is on the same stand-in host). */
    private static String serversTokenEndpoints() {
        return harness.aad.authorityHost() + "/" + harness.fhir.tenantId() + "/oauth2/";
    }

    private static HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(harness.baseUrl() + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + harness.token(TENANT));
    }

    private static HttpResponse<String> preflight(String path, String origin) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(harness.baseUrl() + path))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization"));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return harness.http().send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<byte[]> bytes(HttpRequest.Builder request) throws IOException, InterruptedException {
        return harness.http().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static RawHttp.Answer rawGet(String target) throws IOException {
        int port = harness.gateway().settings().httpPort();
        String line = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer "
                + harness.token(TENANT) + "\r\nConnection: close\r\n\r\n";
        return RawHttp.send(port, RawHttp.expand(line));
    }

    private static byte[] gunzip(byte[] gzip) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return in.readAllBytes();
        }
    }
}
