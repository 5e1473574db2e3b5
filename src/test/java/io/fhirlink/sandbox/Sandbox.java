package io.fhirlink.sandbox;

import io.fhirlink.FhirLink;
import io.fhirlink.config.Settings;
import io.fhirlink.support.AzureAdStandIn;
import io.fhirlink.support.AzureFhirStandIn;
import io.fhirlink.support.StandInVariables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * fhir-link with no Azure account: a stand-in Azure AD (HTTPS token endpoint, caller JWKS), a stand-in Azure FHIR
 * server (HAPI FHIR over HTTPS) and the gateway on its embedded PostgreSQL, all on this machine. Prints the
 * walk-through as curl commands with a caller token valid for 12 hours, then runs until stopped.
 *
 * <pre>
 *   mvn -B -q -Psandbox test-compile exec:java                                # run, print the curl commands
 *   mvn -B -q -Psandbox test-compile exec:java -Dexec.args=--selfcheck        # run the walk-through, exit 0/1
 * </pre>
 *
 * FHIRLINK_HTTP_PORT (8080), FHIRLINK_MANAGEMENT_PORT (9876) and FHIRLINK_DATA_DIR (data/sandbox, emptied at
 * every start: the stand-ins forget everything when they stop) may be set in the environment.
 */
public final class Sandbox implements AutoCloseable {

    public static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public static final String CLIENT_ID = "3f2b8c1d-9a4e-4c6b-8f7a-2d5e1b0c9a88";
    public static final String CLIENT_SECRET = "sandbox~client~secret";
    public static final String LINK_NAME = "sandbox";
    static final Duration TOKEN_LIFETIME = Duration.ofHours(12);
    private static final String MARKER = ".fhir-link-sandbox";

    private final AzureAdStandIn aad;
    private final AzureFhirStandIn fhir;
    private final FhirLink gateway;
    private final String callerToken;

    private Sandbox(AzureAdStandIn aad, AzureFhirStandIn fhir, FhirLink gateway, String callerToken) {
        this.aad = aad;
        this.fhir = fhir;
        this.gateway = gateway;
        this.callerToken = callerToken;
    }

    /** Starts stand-ins and gateway; {@code variables} may set the gateway's ports and data directory. */
    public static Sandbox start(Map<String, String> variables) throws Exception {
        AzureAdStandIn aad = AzureAdStandIn.start();
        AzureFhirStandIn fhir = null;
        try {
            aad.registerApp(TENANT, CLIENT_ID, CLIENT_SECRET, true);
            fhir = AzureFhirStandIn.start(aad, TENANT);
            Path dataDir = Path.of(variables.getOrDefault("FHIRLINK_DATA_DIR", "data/sandbox")).toAbsolutePath().normalize();
            emptyDataDir(dataDir);
            Map<String, String> env = StandInVariables.pointingAt(aad);
            env.put("FHIRLINK_HTTP_PORT", variables.getOrDefault("FHIRLINK_HTTP_PORT", "8080"));
            env.put("FHIRLINK_MANAGEMENT_PORT", variables.getOrDefault("FHIRLINK_MANAGEMENT_PORT", "9876"));
            env.put("FHIRLINK_DATA_DIR", dataDir.toString());
            FhirLink gateway = FhirLink.start(Settings.from(env));
            String token = aad.callerTokenBuilder(TENANT, "newcomer@sandbox")
                    .expiresAt(Instant.now().plus(TOKEN_LIFETIME))
                    .build();
            return new Sandbox(aad, fhir, gateway, token);
        } catch (Exception | Error e) {
            if (fhir != null) {
                fhir.close();
            }
            aad.close();
            throw e;
        }
    }

    public String gatewayUrl() {
        return "http://127.0.0.1:" + gateway.settings().httpPort();
    }

    public String managementUrl() {
        return "http://127.0.0.1:" + gateway.settings().managementPort();
    }

    public WalkThrough walkThrough(String linkName) {
        return new WalkThrough(gatewayUrl(), callerToken, linkName, fhir.baseUrl(), CLIENT_ID, CLIENT_SECRET);
    }

    /** What a newcomer reads: where things run, then the curl commands. */
    public String instructions() {
        return """

                ================================================================================
                fhir-link sandbox is running (stand-ins for Azure AD and an Azure FHIR server)
                  gateway (API + FHIR proxy)   %s
                  health, metrics              %s/observe/health/ready   %s/observe/metrics
                  stand-in Azure AD            %s   (tenant %s)
                  stand-in Azure FHIR server   %s   (app %s, role FHIR Data Writer)
                  data                         %s
                The caller token below is valid for %d hours. Paste the lines into a bash shell:
                --------------------------------------------------------------------------------
                %s--------------------------------------------------------------------------------
                Stop with Ctrl+C.
                ================================================================================
                """.formatted(gatewayUrl(), managementUrl(), managementUrl(), aad.authorityHost(), TENANT,
                fhir.baseUrl(), CLIENT_ID, gateway.settings().dataDir(), TOKEN_LIFETIME.toHours(),
                walkThrough(LINK_NAME).curlScript());
    }

    @Override
    public void close() throws Exception {
        try {
            gateway.close();
        } finally {
            fhir.close();
            aad.close();
        }
    }

    public static void main(String[] args) throws Exception {
        boolean selfCheck = args.length > 0 && args[0].equals("--selfcheck");
        Map<String, String> variables = new HashMap<>(System.getenv());
        Path selfCheckData = null;
        if (selfCheck) {
            // Own ports and data, so a self-check runs beside a sandbox that is already up.
            selfCheckData = Files.createTempDirectory("fhir-link-selfcheck");
            variables.put("FHIRLINK_HTTP_PORT", Integer.toString(freePort()));
            variables.put("FHIRLINK_MANAGEMENT_PORT", Integer.toString(freePort()));
            variables.put("FHIRLINK_DATA_DIR", selfCheckData.toString());
        }
        // The sandbox trusts loopback FHIR servers and self-made tokens: it is never reachable from other machines.
        System.setProperty("camel.server.host", "127.0.0.1");
        System.setProperty("camel.management.host", "127.0.0.1");
        Sandbox sandbox = start(variables);
        if (selfCheck) {
            boolean ok;
            try (sandbox) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                ok = sandbox.walkThrough(LINK_NAME).run(http, System.out);
            }
            deleteTree(selfCheckData);
            System.out.println(ok ? "sandbox self-check passed" : "sandbox self-check FAILED");
            System.exit(ok ? 0 : 1);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                sandbox.close();
            } catch (Exception e) {
                System.err.println("sandbox: stopping failed: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "sandbox-shutdown"));
        System.out.println(sandbox.instructions());
        stopped.await();
    }

    /** Removes a directory and everything in it (a self-check's or a test's data directory). */
    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(Sandbox::delete);
            }
        }
    }

    /** The stand-ins keep nothing across runs, so neither may the gateway: links would point at dead ports. */
    private static void emptyDataDir(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            boolean ours = Files.exists(dir.resolve(MARKER));
            try (Stream<Path> entries = Files.list(dir)) {
                if (!ours && entries.findAny().isPresent()) {
                    throw new IllegalStateException("FHIRLINK_DATA_DIR=" + dir + " is not empty and not a sandbox's: "
                            + "choose another directory (the sandbox empties its directory at every start)");
                }
            }
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(Sandbox::delete);
            }
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MARKER), "emptied at every sandbox start\n");
    }

    private static void delete(Path path) {
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() {
        return io.fhirlink.support.GatewayHarness.freePort();
    }
}
