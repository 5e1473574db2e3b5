package io.fhirlink.support;

import io.fhirlink.FhirLink;
import io.fhirlink.config.Settings;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real gateway between real stand-ins: Azure AD (HTTPS token endpoint and caller JWKS), an Azure-like HAPI FHIR
 * server (HTTPS), and fhir-link itself on its embedded PostgreSQL, all on loopback sockets. Configured only
 * through the FHIRLINK_* variables, as an operator would.
 *
 * <p>A test class declares one as {@code @RegisterExtension static final GatewayHarness harness =
 * GatewayHarness.forClass(...)}: it starts before the class's first {@code @BeforeAll} and stops after its last
 * {@code @AfterAll}. {@link #start} gives one to close by hand (several gateways in one test).
 */
public final class GatewayHarness implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    public static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public static final String OTHER_TENANT = "0a0b0c0d-1111-2222-3333-444455556666";
    public static final String CLIENT_ID = "6b1c3e2a-5d4f-4a7b-9c8d-0e1f2a3b4c5d";
    public static final String CLIENT_SECRET = "Qx8~sEcReT.value_for-tests~0123456789";
    public static final String READER_CLIENT_ID = "7c2d4f3b-6e5a-4b8c-8d9e-1f2a3b4c5d6e";
    public static final String READER_SECRET = "reader~secret~value";

    // set when started
    public AzureAdStandIn aad;
    public AzureFhirStandIn fhir;
    public Path dataDir;
    private final Map<String, String> extraEnv;
    private final Clock clock;
    private boolean behindRelay;
    private RelayedDatabase database;
    private FhirLink gateway;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayHarness(Map<String, String> extraEnv, Clock clock) {
        this.extraEnv = extraEnv;
        this.clock = clock;
    }

    /** A gateway for one test class, with these FHIRLINK_* variables on top of the stand-ins'. */
    public static GatewayHarness forClass(Map<String, String> extraEnv) {
        return new GatewayHarness(extraEnv, Clock.systemUTC());
    }

    public static GatewayHarness forClass() {
        return forClass(Map.of());
    }

    /** A gateway for one test class on a clock the test moves (e.g. {@link MovableClock}). */
    public static GatewayHarness forClass(Map<String, String> extraEnv, Clock clock) {
        return new GatewayHarness(extraEnv, clock);
    }

    /**
     * The gateway on an external PostgreSQL reached through a relay the test can cut ({@link #database()}), instead
     * of its embedded default.
     */
    public GatewayHarness onRelayedDatabase() {
        behindRelay = true;
        return this;
    }

    public RelayedDatabase database() {
        return database;
    }

    /** A gateway started now; the caller closes it. */
    public static GatewayHarness start(Map<String, String> extraEnv) throws Exception {
        GatewayHarness harness = forClass(extraEnv);
        harness.startAll();
        return harness;
    }

    public static GatewayHarness start() throws Exception {
        return start(Map.of());
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        startAll();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    private void startAll() throws Exception {
        aad = AzureAdStandIn.start();
        aad.registerApp(TENANT, CLIENT_ID, CLIENT_SECRET, true);
        aad.registerApp(TENANT, READER_CLIENT_ID, READER_SECRET, false);
        fhir = AzureFhirStandIn.start(aad, TENANT);
        dataDir = Files.createTempDirectory("fhirlink-test");
        if (behindRelay) {
            database = RelayedDatabase.start();
        }
        gateway = FhirLink.start(Settings.from(env()), clock);
    }

    private Map<String, String> env() {
        Map<String, String> env = StandInVariables.pointingAt(aad);
        env.put("FHIRLINK_HTTP_PORT", Integer.toString(gateway == null ? freePort() : gateway.settings().httpPort()));
        env.put("FHIRLINK_MANAGEMENT_PORT", Integer.toString(gateway == null ? freePort() : gateway.settings().managementPort()));
        env.put("FHIRLINK_DATA_DIR", dataDir.toString());
        env.put("FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS", "3000");
        if (database != null) {
            env.putAll(database.variables());
        }
        env.putAll(extraEnv);
        return env;
    }

    public FhirLink gateway() {
        return gateway;
    }

    /** Stops the gateway and starts it again on the same ports and data directory. */
    public void restartGateway() throws Exception {
        gateway.close();
        gateway = FhirLink.start(Settings.from(env()), clock);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + gateway.settings().httpPort();
    }

    public String managementUrl() {
        return "http://127.0.0.1:" + gateway.settings().managementPort();
    }

    public String token(String organization) {
        return aad.callerToken(organization, "user-" + organization.substring(0, 4));
    }

    /** A registration body for the FHIR stand-in with the writer application. */
    public String registration(String name) {
        return LinkBody.registration(name, fhir.baseUrl()).description("test link").json();
    }

    public HttpResponse<String> register(String name) throws Exception {
        return send("POST", "/FhirServers/aadfhirrecord", token(TENANT), registration(name));
    }

    public HttpResponse<String> send(String method, String path, String token, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        boolean typed = false;
        for (int i = 0; i < headers.length; i += 2) {
            typed |= headers[i].equalsIgnoreCase("Content-Type");
        }
        if (body != null && !typed) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpClient http() {
        return http;
    }

    /** Stops the gateway, then the stand-ins; again is a no-op. */
    @Override
    public void close() throws Exception {
        try (AutoCloseable a = aad; AutoCloseable f = fhir; AutoCloseable g = gateway) {
            // closed in reverse order: the gateway first
        } finally {
            if (database != null) {
                database.close();
            }
            gateway = null;
            fhir = null;
            aad = null;
            database = null;
        }
    }

    /** Ports handed out in this JVM: the kernel may offer a port it just freed again, to the next caller. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /** A free port, never one this JVM's tests were given before (two in a row were the same once). */
    public static int freePort() {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0)) {
                if (HANDED_OUT.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
