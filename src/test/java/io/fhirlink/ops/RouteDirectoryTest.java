package io.fhirlink.ops;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LogCapture;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's "Changing a route" walk-through, as a test: the hook file it shows (read from README.md itself) in
 * FHIRLINK_ROUTES_DIR adds a header to every upstream call, at start and, with the dev profile, live; a copy of a
 * built-in route still replaces it, and says so in the log.
 */
class RouteDirectoryTest {

    private static final String HEADER = "X-Fhirlink-Edited";
    private static final String HOOK_FILE = "config/routes/upstream-header.camel.yaml";

    @Test
    void readmesHookFile_addsTheHeaderToEveryUpstreamCall_theTokenRetryIncluded() throws Exception {
        Path routes = Files.createTempDirectory("fhirlink-routes");
        Files.writeString(routes.resolve(Path.of(HOOK_FILE).getFileName()), readmeHookFile());

        try (GatewayHarness h = GatewayHarness.start(Map.of("FHIRLINK_ROUTES_DIR", routes.toString()))) {
            assertThat(h.register("hooked").statusCode()).isEqualTo(201);
            h.fhir.clearRequests();
            h.fhir.rejectNextTokens(1); // the first call is refused: the gateway renews the token and calls again

            assertThat(h.send("GET", "/hooked/Patient", h.token(TENANT), null).statusCode()).isEqualTo(200);

            assertThat(h.fhir.requests()).hasSize(2).extracting(r -> r.header(HEADER)).containsOnly("yes");
        }
    }

    @Test
    void devProfile_loadsTheReadmesHookFileWhenItIsCreated() throws Exception {
        Path routes = Files.createTempDirectory("fhirlink-routes");

        try (GatewayHarness h = GatewayHarness.start(Map.of("FHIRLINK_ROUTES_DIR", routes.toString(), "FHIRLINK_PROFILE", "dev"))) {
            assertThat(h.register("live").statusCode()).isEqualTo(201);
            h.send("GET", "/live/Patient", h.token(TENANT), null);
            assertThat(h.fhir.requests()).noneMatch(r -> r.hasHeader(HEADER));

            Files.writeString(routes.resolve(Path.of(HOOK_FILE).getFileName()), readmeHookFile());

            await().alias("hook file took effect").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                    .until(() -> {
                        h.fhir.clearRequests();
                        h.send("GET", "/live/Patient", h.token(TENANT), null);
                        return h.fhir.requests().stream().anyMatch(r -> "yes".equals(r.header(HEADER)));
                    });
        }
    }

    @Test
    void beforeAnswerHook_setsAHeaderOnTheCallersAnswer() throws Exception {
        Path routes = Files.createTempDirectory("fhirlink-routes");
        Files.writeString(routes.resolve("answer-header.camel.yaml"), """
                - route:
                    id: add-answer-header
                    from:
                      uri: direct:fhir-before-answer
                      steps:
                        - setHeader:
                            name: X-Served-By
                            constant: fhir-link
                """);

        try (GatewayHarness h = GatewayHarness.start(Map.of("FHIRLINK_ROUTES_DIR", routes.toString()))) {
            assertThat(h.register("answered").statusCode()).isEqualTo(201);

            HttpResponse<String> answer = h.send("GET", "/answered/Patient", h.token(TENANT), null);

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().firstValue("X-Served-By")).hasValue("fhir-link");
        }
    }

    @Test
    void copiedBuiltInRoute_stillReplacesIt_andTheLogSaysSo() throws Exception {
        Path routes = Files.createTempDirectory("fhirlink-routes");
        Files.writeString(routes.resolve("fhir-proxy.camel.yaml"), withUpstreamHeader(builtInProxyRoute()));
        LogCapture logs = new LogCapture();
        logs.attach();
        try (GatewayHarness h = GatewayHarness.start(Map.of("FHIRLINK_ROUTES_DIR", routes.toString()))) {
            assertThat(h.register("copied").statusCode()).isEqualTo(201);
            h.fhir.clearRequests();

            assertThat(h.send("GET", "/copied/Patient", h.token(TENANT), null).statusCode()).isEqualTo(200);

            assertThat(h.fhir.requests()).extracting(r -> r.header(HEADER)).containsOnly("yes");
            assertThat(logs.lines()).anyMatch(l -> l.contains("route file fhir-proxy.camel.yaml in " + routes)
                    && l.contains("replaces the built-in one"));
        } finally {
            logs.detach();
        }
    }

    /** The YAML block that follows the README's mention of the hook file. */
    static String readmeHookFile() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int mention = readme.indexOf("`" + HOOK_FILE + "`");
        assertThat(mention).as("README names " + HOOK_FILE).isPositive();
        int start = readme.indexOf("```yaml\n", mention) + "```yaml\n".length();
        int end = readme.indexOf("```", start);
        String yaml = readme.substring(start, end);
        assertThat(yaml).contains("direct:fhir-before-upstream").contains(HEADER);
        return yaml;
    }

    private static String builtInProxyRoute() throws Exception {
        try (InputStream in = RouteDirectoryTest.class.getResourceAsStream("/routes/fhir-proxy.camel.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** An edited copy: one setHeader step before the call to the FHIR server. */
    private static String withUpstreamHeader(String route) {
        String anchor = "        - process:\n            id: call-fhir-server\n";
        assertThat(route).contains(anchor);
        return route.replace(anchor, "        - setHeader:\n            name: " + HEADER
                + "\n            constant: \"yes\"\n" + anchor);
    }
}
