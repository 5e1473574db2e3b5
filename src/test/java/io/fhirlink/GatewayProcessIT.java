package io.fhirlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.AzureAdStandIn;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.GatewayProcess;
import io.fhirlink.support.LargeBundleServer;
import io.fhirlink.support.LinkBody;
import io.fhirlink.support.StandInVariables;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway as operators run it: the packaged {@code target/fhir-link.jar} in its own JVM (as the container
 * starts it), with only its runtime dependencies, configured by FHIRLINK_* environment variables, with a 256 MB heap.
 * Runs in the integration-test phase, after the jar is built.
 */
class GatewayProcessIT {

    private static final String TENANT = GatewayHarness.TENANT;
    private static AzureAdStandIn aad;
    private static LargeBundleServer upstream;
    private static Path dataDir;
    private static Path logFile;
    private static int port;
    private static Process gateway;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        aad = AzureAdStandIn.start();
        aad.registerApp(TENANT, GatewayHarness.CLIENT_ID, GatewayHarness.CLIENT_SECRET, true);
        upstream = LargeBundleServer.start();
        dataDir = Files.createTempDirectory("fhirlink-process");
        logFile = dataDir.resolve("gateway.log");
        port = GatewayHarness.freePort();
        gateway = launch();
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.destroy();
            gateway.waitFor(20, TimeUnit.SECONDS);
        }
        upstream.close();
        aad.close();
    }

    @Test
    void runCommand_answersOnItsPort_printsItsDataDir_andKeepsLinksAcrossARestart() throws Exception {
        assertThat(Files.readString(logFile)).contains("fhir-link data lives in " + dataDir);
        assertThat(register("survivor").statusCode()).isEqualTo(201);

        gateway.destroy();
        assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Files.writeString(logFile, "");
        gateway = launch(Map.of("FHIRLINK_LOG_FORMAT", "json"));

        HttpResponse<String> links = HTTP.send(request("/FhirServers/aadfhirrecord").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(links.body()).contains("\"fhirDatabaseDisplayName\":\"survivor\"");
        // the second start logged JSON lines
        assertThat(Files.readAllLines(logFile)).filteredOn(l -> l.contains("data lives in"))
                .singleElement().satisfies(l -> assertThat(l).startsWith("{").contains("\"message\":"));
    }

    @Test
    void a200MegabyteSearchStreamsThroughAGatewayWith256MegabytesOfHeap() throws Exception {
        assertThat(register("large").statusCode()).isEqualTo(201);

        LargeAnswer plain = largeSearch("large", false);

        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.contentEncoding()).isNull();
        assertThat(plain.bytes()).isGreaterThan(200L * 1000 * 1000);
        assertThat(plain.gatewayUrls()).isEqualTo(LARGE_ENTRIES);
        assertThat(plain.upstreamUrls()).isZero();
        assertThat(gateway.isAlive()).isTrue();
        assertThat(Files.readString(logFile)).doesNotContain("OutOfMemoryError");
    }

    @Test
    void a200MegabyteSearchWithAcceptEncodingGzip_inflatesToTheSameAnswer_throughTheSameHeap() throws Exception {
        assertThat(register("large-gzip").statusCode()).isEqualTo(201);

        LargeAnswer gzipped = largeSearch("large-gzip", true);
        LargeAnswer plain = largeSearch("large-gzip", false);

        assertThat(gzipped.contentEncoding()).isEqualTo("gzip");
        assertThat(gzipped.bytes()).isEqualTo(plain.bytes());
        assertThat(gzipped.digest()).isEqualTo(plain.digest());
        assertThat(gzipped.gatewayUrls()).isEqualTo(LARGE_ENTRIES);
        assertThat(gzipped.wireBytes()).isLessThan(plain.bytes() / 4);
        assertThat(gateway.isAlive()).isTrue();
        assertThat(Files.readString(logFile)).doesNotContain("OutOfMemoryError");
    }

    private static final int LARGE_ENTRIES = 200_000; // about 1 KB each

    /** What came through: inflated bytes, their SHA-256, URLs on the gateway and on the upstream, bytes on the wire. */
    private record LargeAnswer(int status, String contentEncoding, long bytes, String digest, long gatewayUrls,
            long upstreamUrls, long wireBytes) {
    }

    private static LargeAnswer largeSearch(String link, boolean gzip) throws Exception {
        String gatewayBase = "http://127.0.0.1:" + port + "/" + link;
        HttpRequest.Builder search = request("/" + link + "/Patient?entries=" + LARGE_ENTRIES);
        if (gzip) {
            search.header("Accept-Encoding", "gzip");
        }
        HttpResponse<InputStream> answer = HTTP.send(search.build(), HttpResponse.BodyHandlers.ofInputStream());
        String encoding = answer.headers().firstValue("Content-Encoding").orElse(null);
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        long[] wire = {0};
        InputStream counted = new java.io.FilterInputStream(answer.body()) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                wire[0] += Math.max(0, n);
                return n;
            }
        };
        long bytes = 0;
        long gatewayUrls = 0;
        long upstreamUrls = 0;
        byte[] buffer = new byte[64 * 1024];
        String carry = "";
        try (InputStream body = "gzip".equals(encoding) ? new java.util.zip.GZIPInputStream(counted, 64 * 1024) : counted) {
            for (int n; (n = body.read(buffer)) > 0; ) {
                bytes += n;
                sha.update(buffer, 0, n);
                String text = carry + new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
                gatewayUrls += count(text, gatewayBase + "/Patient/p");
                upstreamUrls += count(text, upstream.baseUrl());
                carry = text.substring(Math.max(0, text.length() - 100));
                // an occurrence inside the carried tail is counted again in the next round: subtract it now
                gatewayUrls -= count(carry, gatewayBase + "/Patient/p");
                upstreamUrls -= count(carry, upstream.baseUrl());
            }
        }
        gatewayUrls += count(carry, gatewayBase + "/Patient/p");
        upstreamUrls += count(carry, upstream.baseUrl());
        return new LargeAnswer(answer.statusCode(), encoding, bytes, java.util.HexFormat.of().formatHex(sha.digest()),
                gatewayUrls, upstreamUrls, wire[0]);
    }

    @Test
    void missingSecretKeyWithAnExternalDatabase_stopsStartUpWithOneLineNamingTheVariable() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("fhirlink.jar", "target/fhir-link.jar")).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("FHIRLINK_"));
        builder.environment().put("FHIRLINK_DB_URL", "jdbc:postgresql://127.0.0.1:1/fhirlink");
        Process process = builder.start();

        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(output.lines()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("fhir-link: FHIRLINK_SECRET_KEY is required when FHIRLINK_DB_URL is set"));
    }

    private static HttpResponse<String> register(String name) throws IOException, InterruptedException {
        String body = LinkBody.registration(name, upstream.baseUrl()).tenant(TENANT).json();
        return HTTP.send(request("/FhirServers/aadfhirrecord").POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofMinutes(3))
                .header("Authorization", "Bearer " + aad.callerToken(TENANT, "operator"));
    }

    private static Process launch() throws Exception {
        return launch(Map.of());
    }

    private static Process launch(Map<String, String> extraEnv) throws Exception {
        Map<String, String> env = StandInVariables.pointingAt(aad);
        env.put("FHIRLINK_HTTP_PORT", Integer.toString(port));
        env.put("FHIRLINK_MANAGEMENT_PORT", Integer.toString(GatewayHarness.freePort()));
        env.put("FHIRLINK_DATA_DIR", dataDir.toString());
        env.putAll(extraEnv);
        return GatewayProcess.launch(env, logFile);
    }

    private static long count(String text, String pattern) {
        long n = 0;
        for (int i = text.indexOf(pattern); i >= 0; i = text.indexOf(pattern, i + 1)) {
            n++;
        }
        return n;
    }
}
