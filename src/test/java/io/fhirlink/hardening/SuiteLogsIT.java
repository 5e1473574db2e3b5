package io.fhirlink.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * After the whole unit and end-to-end suite has run: everything its gateways logged (surefire keeps each test class's
 * output) holds no bearer token and none of the client secrets the tests use. Runs in the integration-test phase,
 * so it reads the logs of every test before it.
 */
class SuiteLogsIT {

    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}");
    /** Client secrets are test constants named *SECRET; read them from the test sources, so a new one is covered. */
    private static final Pattern SECRET_CONSTANT = Pattern.compile("SECRET\\s*=\\s*\"([^\"]{6,})\"");

    private static List<Path> logs;
    private static Set<String> secrets;

    @BeforeAll
    static void collect() throws IOException {
        Path reports = Path.of(System.getProperty("fhirlink.surefireReports", "target/surefire-reports"));
        try (Stream<Path> files = Files.list(reports)) {
            logs = files.filter(f -> f.getFileName().toString().endsWith("-output.txt")).toList();
        }
        secrets = new TreeSet<>();
        try (Stream<Path> sources = Files.walk(Path.of("src", "test", "java"))) {
            for (Path source : sources.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = SECRET_CONSTANT.matcher(Files.readString(source));
                while (m.find()) {
                    secrets.add(m.group(1));
                }
            }
        }
    }

    @Test
    void theSuitesLogs_holdNoBearerTokenAndNoClientSecret() throws IOException {
        long accessLines = 0;
        List<String> leaks = new ArrayList<>();
        for (Path log : logs) {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            accessLines += text.lines().filter(l -> l.contains("access - requestId=")).count();
            if (JWT.matcher(text).find() || text.contains("Bearer ey")) {
                leaks.add(log.getFileName() + ": a bearer token");
            }
            for (String secret : secrets) {
                if (text.contains(secret)) {
                    leaks.add(log.getFileName() + ": the client secret " + secret.substring(0, 3) + "...");
                }
            }
        }

        // the check means something only if the suite's gateways really logged their traffic here
        assertThat(secrets).hasSizeGreaterThan(5);
        assertThat(accessLines).isGreaterThan(500);
        assertThat(leaks).isEmpty();
    }

    /**
     * The proxy runs on the event loops, where a step that blocks stalls every connection of its loop; Vert.x's
     * blocked-thread checker (2 s) reports it as "Thread ... vert.x-eventloop-thread-N ... has been blocked for".
     * Any such line from any test's gateway fails the suite.
     */
    @Test
    void theSuitesLogs_showNoBlockedEventLoop() throws IOException {
        List<String> blocked = new ArrayList<>();
        for (Path log : logs) {
            Files.readString(log, StandardCharsets.UTF_8).lines()
                    .filter(l -> l.contains("vert.x-eventloop-thread") && l.contains("has been blocked for"))
                    .forEach(l -> blocked.add(log.getFileName() + ": " + l));
        }

        assertThat(logs).isNotEmpty();
        assertThat(blocked).isEmpty();
    }
}
