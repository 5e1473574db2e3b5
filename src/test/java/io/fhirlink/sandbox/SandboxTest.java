package io.fhirlink.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nimbusds.jwt.SignedJWT;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sandbox as a newcomer uses it: the printed walk-through runs, in Java and as the printed curl lines. */
class SandboxTest {

    private static final Pattern PRINTED_SCRIPT = Pattern.compile("-{80}\n(.*?)-{80}\n", Pattern.DOTALL);

    private static Path dataDir;
    private static Sandbox sandbox;

    @BeforeAll
    static void startSandbox() throws Exception {
        dataDir = Files.createTempDirectory("fhirlink-sandbox");
        sandbox = Sandbox.start(Map.of(
                "FHIRLINK_HTTP_PORT", Integer.toString(Sandbox.freePort()),
                "FHIRLINK_MANAGEMENT_PORT", Integer.toString(Sandbox.freePort()),
                "FHIRLINK_DATA_DIR", dataDir.toString()));
    }

    @AfterAll
    static void stopSandbox() throws Exception {
        try {
            if (sandbox != null) {
                sandbox.close();
            }
        } finally {
            Sandbox.deleteTree(dataDir);
        }
    }

    @Test
    void walkThrough_registersCreatesAndFindsPatient() {
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        boolean ok = sandbox.walkThrough("sandbox-java")
                .run(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), new PrintStream(report, true));
        assertThat(ok).as(report.toString(StandardCharsets.UTF_8)).isTrue();
    }

    @Test
    void printedCurlCommands_completeTheWalkThroughInBash() throws Exception {
        assumeTrue(onPath("bash") && onPath("curl"), "bash and curl are needed to run the printed commands");
        String script = printedScript();
        Process bash = new ProcessBuilder("bash", "-e", "-c", script).redirectErrorStream(true).start();
        assertThat(bash.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(bash.exitValue()).as(output).isZero();
        assertThat(output).as(output)
                .containsSubsequence("-> HTTP 201", "-> HTTP 201", "Newcomer", "-> HTTP 200");
    }

    @Test
    void printedToken_isValidForTwelveHours() throws Exception {
        Matcher token = Pattern.compile("TOKEN='([^']+)'").matcher(printedScript());
        assertThat(token.find()).isTrue();
        Instant expiry = SignedJWT.parse(token.group(1)).getJWTClaimsSet().getExpirationTime().toInstant();
        assertThat(Duration.between(Instant.now(), expiry)).isGreaterThan(Duration.ofHours(11).plusMinutes(55));
    }

    private static String printedScript() {
        Matcher block = PRINTED_SCRIPT.matcher(sandbox.instructions());
        assertThat(block.find()).as("instructions hold the curl block between dashed lines").isTrue();
        return block.group(1);
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
