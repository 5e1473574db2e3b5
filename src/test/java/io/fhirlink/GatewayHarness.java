package io.fhirlink;

import io.fhirlink.config.Settings;
import io.fhirlink.support.AzureAdStandIn;
import io.fhirlink.support.AzureFhirStandIn;
import io.fhirlink.support.StandInVariables;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real gateway between real stand-ins: Azure AD (HTTPS token endpoint and caller JWKS), an Azure-like HAPI FHIR
 * server (HTTPS), and fhir-link itself on its embedded PostgreSQL, all on loopback sockets. Configured only
 * through the FHIRLINK_* variables, as an operator would.
 */
public final class GatewayHarness implements AutoCloseable {

    public static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public static final String OTHER_TENANT = "0a0b0c0d-1111-2222-3333-444455556666";
    public static final String CLIENT_ID = "6b1c3e2a-5d4f-4a7b-9c8d-0e1f2a3b4c5d";
    public static final String CLIENT_SECRET = "Qx8~sEcReT.value_for-tests~0123456789";
    public static final String READER_CLIENT_ID = "7c2d4f3b-6e5a-4b8c-8d9e-1f2a3b4c5d6e";
    public static final String READER_SECRET = "reader~secret~value";

    public final AzureAdStandIn aad;
    public final AzureFhirStandIn fhir;
    public final Path dataDir;
    private final Map<String, String> extraEnv;
    private final java.time.Clock clock;
    private FhirLink gateway;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayHarness(Map<String, String> extraEnv, java.time.Clock clock) throws Exception {
        this.extraEnv = extraEnv;
        this.clock = clock;
        this.aad = AzureAdStandIn.start();
        aad.registerApp(TENANT, CLIENT_ID, CLIENT_SECRET, true);
        aad.registerApp(TENANT, READER_CLIENT_ID, READER_SECRET, false);
        this.fhir = AzureFhirStandIn.start(aad, TENANT);
        this.dataDir = Files.createTempDirectory("fhirlink-test");
        this.gateway = FhirLink.start(Settings.from(env()), clock);
    }

    public static GatewayHarness start() throws Exception {
        return new GatewayHarness(Map.of(), java.time.Clock.systemUTC());
    }

    public static GatewayHarness start(Map<String, String> extraEnv) throws Exception {
        return new GatewayHarness(extraEnv, java.time.Clock.systemUTC());
    }

    /** A gateway on a clock the test moves (e.g. {@link io.fhirlink.support.MovableClock}). */
    public static GatewayHarness start(Map<String, String> extraEnv, java.time.Clock clock) throws Exception {
        return new GatewayHarness(extraEnv, clock);
    }

    private Map<String, String> env() {
        Map<String, String> env = StandInVariables.pointingAt(aad);
        env.put("FHIRLINK_HTTP_PORT", Integer.toString(gateway == null ? freePort() : gateway.settings().httpPort()));
        env.put("FHIRLINK_MANAGEMENT_PORT", Integer.toString(gateway == null ? freePort() : gateway.settings().managementPort()));
        env.put("FHIRLINK_DATA_DIR", dataDir.toString());
        env.put("FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS", "3000");
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
        return """
                {"fhirDatabaseDisplayName": "%s", "description": "test link",
                 "fhirServerEndpoint": "%s", "clientId": "%s", "clientSecret": "%s"}
                """.formatted(name, fhir.baseUrl(), CLIENT_ID, CLIENT_SECRET);
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

    @Override
    public void close() throws Exception {
        try {
            gateway.close();
        } finally {
            fhir.close();
            aad.close();
        }
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
