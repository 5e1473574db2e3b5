package io.fhirlink.ops;

import static io.fhirlink.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.GatewayHarness;
import io.fhirlink.support.RecordedRequest;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's "Changing a route" walk-through, as a test: the built-in proxy route copied into FHIRLINK_ROUTES_DIR
 * and given one more step (a header on every upstream call) replaces the built-in one; with the dev profile an edit
 * of that file takes effect while the gateway runs.
 */
class RouteDirectoryTest {

    private static final String HEADER = "X-Fhirlink-Edited";

    @Test
    void routeFileInTheRoutesDirectory_replacesTheBuiltInOneAtStart() throws Exception {
        Path routes = Files.createTempDirectory("fhirlink-routes");
        Files.writeString(routes.resolve("fhir-proxy.camel.yaml"), withUpstreamHeader(builtInProxyRoute()));

        try (GatewayHarness h = GatewayHarness.start(Map.of("FHIRLINK_ROUTES_DIR", routes.toString()))) {
            assertThat(h.register("edited").statusCode()).isEqualTo(201);
            h.fhir.clearRequests();

            assertThat(h.send("GET", "/edited/Patient", h.token(TENANT), null).statusCode()).isEqualTo(200);

            assertThat(h.fhir.requests()).extracting(r -> r.header(HEADER)).containsOnly("yes");
        }
    }

    @Test
    void devProfile_reloadsAnEditedRouteWithoutRestart() throws Exception {
        Path routes = Files.createTempDirectory("fhirlink-routes");
        Path route = routes.resolve("fhir-proxy.camel.yaml");
        Files.writeString(route, builtInProxyRoute());

        try (GatewayHarness h = GatewayHarness.start(Map.of("FHIRLINK_ROUTES_DIR", routes.toString(), "FHIRLINK_PROFILE", "dev"))) {
            assertThat(h.register("live").statusCode()).isEqualTo(201);
            h.send("GET", "/live/Patient", h.token(TENANT), null);
            assertThat(h.fhir.requests()).noneMatch(r -> r.hasHeader(HEADER));

            Files.writeString(route, withUpstreamHeader(builtInProxyRoute()));

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            boolean seen = false;
            while (!seen && System.nanoTime() < deadline) {
                h.fhir.clearRequests();
                h.send("GET", "/live/Patient", h.token(TENANT), null);
                List<RecordedRequest> received = h.fhir.requests();
                seen = received.stream().anyMatch(r -> "yes".equals(r.header(HEADER)));
                Thread.sleep(300);
            }
            assertThat(seen).as("edited route took effect within 30 s").isTrue();
        }
    }

    private static String builtInProxyRoute() throws Exception {
        try (InputStream in = RouteDirectoryTest.class.getResourceAsStream("/routes/fhir-proxy.camel.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The README's edit: one setHeader step before the call to the FHIR server. */
    private static String withUpstreamHeader(String route) {
        String anchor = "      steps:\n        - process:\n            id: call-fhir-server\n";
        assertThat(route).contains(anchor);
        return route.replace(anchor, "      steps:\n        - setHeader:\n            name: " + HEADER
                + "\n            constant: \"yes\"\n        - process:\n            id: call-fhir-server\n");
    }
}
