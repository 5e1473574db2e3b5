package io.fhirlink.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.support.GatewayHarness;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The OpenAPI document the gateway serves is kept true: every documented operation (method and path) is a running
 * platform-http route of the management API, and every such route is documented.
 */
class ManagementApiContractTest {

    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayHarness h = GatewayHarness.forClass();

    @Test
    void openApi_isServedAsAnOpenApi3Document() throws Exception {
        HttpResponse<String> document = h.send("GET", "/FhirServers/openapi.json", null, null);

        assertThat(document.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(document.body()).path("openapi").asText()).startsWith("3.");
    }

    @Test
    void openApi_documentsExactlyTheRunningManagementRoutes() throws Exception {
        JsonNode document = JSON.readTree(h.send("GET", "/FhirServers/openapi.json", null, null).body());

        assertThat(documentedOperations(document)).isEqualTo(runningManagementOperations());
    }

    /** "METHOD /path" of each operation under paths, path parameters as {name}. */
    private static Set<String> documentedOperations(JsonNode document) {
        Set<String> operations = new TreeSet<>();
        for (Iterator<String> paths = document.path("paths").fieldNames(); paths.hasNext(); ) {
            String path = paths.next();
            for (Iterator<String> keys = document.path("paths").path(path).fieldNames(); keys.hasNext(); ) {
                String key = keys.next();
                if (HTTP_METHODS.contains(key)) {
                    operations.add(key.toUpperCase(Locale.ROOT) + " " + path);
                }
            }
        }
        return operations;
    }

    /** "METHOD /path" of each platform-http route under /FhirServers (the proxy's catch-all is the FHIR API). */
    private static Set<String> runningManagementOperations() {
        Set<String> operations = new TreeSet<>();
        for (Route route : h.gateway().camelContext().getRoutes()) {
            if (route.getEndpoint() instanceof PlatformHttpEndpoint http && http.getPath().startsWith("/FhirServers")) {
                String methods = http.getHttpMethodRestrict();
                assertThat(methods).as("route %s restricts its methods", route.getRouteId()).isNotBlank();
                for (String method : methods.split(",")) {
                    operations.add(method.trim().toUpperCase(Locale.ROOT) + " " + http.getPath());
                }
            }
        }
        return operations;
    }
}
