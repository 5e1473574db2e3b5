package io.fhirlink.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged gateway ({@code target/fhir-link.jar}, path from the {@code fhirlink.jar} system property the build
 * sets) in its own JVM with a 256 MB heap, configured only by the given FHIRLINK_* variables, its output appended to
 * a log file. {@link #launch} returns once the routes answer.
 */
public final class GatewayProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private GatewayProcess() {
    }

    public static Process launch(Map<String, String> variables, Path logFile) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", System.getProperty("fhirlink.jar", "target/fhir-link.jar")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().keySet().removeIf(k -> k.startsWith("FHIRLINK_"));
        builder.environment().putAll(variables);
        Process process = builder.start();
        URI probe = URI.create("http://127.0.0.1:" + variables.get("FHIRLINK_HTTP_PORT") + "/FhirServers/aadfhirrecord");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("gateway exited: " + Files.readString(logFile));
            }
            try {
                // 401 (not the server's bare 404) means the routes are up
                int status = HTTP.send(HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 401) {
                    return process;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        process.destroyForcibly();
        throw new IllegalStateException("gateway did not start: " + Files.readString(logFile));
    }
}
