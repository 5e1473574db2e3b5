package io.fhirlink.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * The newcomer's walk-through: register a link, create a Patient through it, search it back. One list of steps
 * is both printed as {@code curl} commands and run over HTTP by the self-check, so what the sandbox prints is
 * what its test proves.
 */
public final class WalkThrough {

    /** One HTTP call of the walk-through and the status that means it worked. */
    public record Step(String title, String method, String path, String contentType, String body, int expectedStatus) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String gatewayUrl;
    private final String callerToken;
    private final String linkName;
    private final List<Step> steps;

    public WalkThrough(String gatewayUrl, String callerToken, String linkName, String fhirEndpoint,
            String clientId, String clientSecret) {
        this.gatewayUrl = gatewayUrl;
        this.callerToken = callerToken;
        this.linkName = linkName;
        this.steps = List.of(
                new Step("Register a link named \"" + linkName + "\" to the stand-in Azure FHIR server (201)",
                        "POST", "/FhirServers/aadfhirrecord", "application/json",
                        """
                        {"fhirDatabaseDisplayName":"%s","description":"sandbox link","fhirServerEndpoint":"%s",\
                        "clientId":"%s","clientSecret":"%s"}""".formatted(linkName, fhirEndpoint, clientId, clientSecret),
                        201),
                new Step("Create a Patient through the link (201 and the stored Patient with its new id)",
                        "POST", "/" + linkName + "/Patient", "application/fhir+json",
                        """
                        {"resourceType":"Patient","name":[{"family":"Newcomer","given":["Sandy"]}]}""",
                        201),
                new Step("Search it back (200 and a searchset Bundle whose URLs point at the gateway)",
                        "GET", "/" + linkName + "/Patient?family=Newcomer", null, null, 200));
    }

    public List<Step> steps() {
        return steps;
    }

    public String linkName() {
        return linkName;
    }

    /** Lines for a bash shell: the token in a variable, then one curl per step (each fails on an HTTP error). */
    public String curlScript() {
        StringBuilder script = new StringBuilder()
                .append("# A caller token signed by the stand-in Azure AD; its tid claim is the caller's organization\n")
                .append("TOKEN='").append(callerToken).append("'\n");
        int n = 1;
        for (Step step : steps) {
            script.append('\n').append("# ").append(n++).append(". ").append(step.title()).append('\n').append(curl(step)).append('\n');
        }
        return script.toString();
    }

    private String curl(Step step) {
        StringBuilder c = new StringBuilder("curl -sS --fail-with-body -w '\\n-> HTTP %{http_code}\\n'");
        if (!"GET".equals(step.method())) {
            c.append(" -X ").append(step.method());
        }
        c.append(" '").append(gatewayUrl).append(step.path()).append("' \\\n  -H \"Authorization: Bearer $TOKEN\"");
        if (step.contentType() != null) {
            c.append(" -H 'Content-Type: ").append(step.contentType()).append('\'');
        }
        if (step.body() != null) {
            c.append(" \\\n  -d '").append(step.body()).append('\'');
        }
        return c.toString();
    }

    /**
     * Runs the steps over HTTP as the curl commands would, and checks that the search finds the created Patient.
     * Returns true when every step did what its title says; reports each step on {@code out}.
     */
    public boolean run(HttpClient http, PrintStream out) {
        String createdId = null;
        int n = 1;
        for (Step step : steps) {
            HttpResponse<String> response;
            try {
                response = http.send(request(step), HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                out.printf("%d. %s %s -> failed: %s%n", n, step.method(), step.path(), e);
                return false;
            }
            boolean ok = response.statusCode() == step.expectedStatus();
            String body = response.body();
            if (ok && step.path().endsWith("/Patient") && "POST".equals(step.method())) {
                createdId = field(body, "id");
                ok = createdId != null;
            }
            if (ok && "GET".equals(step.method())) {
                ok = createdId != null && body.contains("\"" + createdId + "\"") && body.contains(gatewayUrl + "/" + linkName + "/");
            }
            out.printf("%d. %s %s -> HTTP %d %s%n", n++, step.method(), step.path(), response.statusCode(), ok ? "ok" : "FAILED");
            if (!ok) {
                out.println(body);
                return false;
            }
        }
        return true;
    }

    private HttpRequest request(Step step) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gatewayUrl + step.path()))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + callerToken)
                .method(step.method(), step.body() == null
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(step.body()));
        if (step.contentType() != null) {
            request.header("Content-Type", step.contentType());
        }
        return request.build();
    }

    private static String field(String json, String name) {
        try {
            JsonNode value = JSON.readTree(json).get(name);
            return value == null ? null : value.asText();
        } catch (Exception e) {
            return null;
        }
    }
}
