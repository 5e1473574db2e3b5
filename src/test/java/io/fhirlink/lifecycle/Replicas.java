package io.fhirlink.lifecycle;

import io.fhirlink.FhirLink;
import io.fhirlink.config.Settings;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.StandInVariables;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * Test support for several gateways on one PostgreSQL: the first is a {@link GatewayHarness} on its embedded
 * database; more replicas start here on the same database as an external one (FHIRLINK_DB_URL), with the same
 * FHIRLINK_SECRET_KEY and stand-ins, on their own ports and data directories, as an operator runs replicas.
 */
final class Replicas {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Replicas() {
    }

    /** A fresh AES-256 key, base64, as {@code openssl rand -base64 32} makes one. */
    static String newSecretKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** The JDBC URL of the first gateway's embedded PostgreSQL. */
    static String jdbcUrl(GatewayHarness first) {
        return first.gateway().database().embedded().getJdbcUrl("postgres", "postgres");
    }

    static Connection connect(GatewayHarness first) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(first));
    }

    /** Variables of another replica of {@code first}'s gateway: same database, key and stand-ins, own ports. */
    static Map<String, String> replicaEnvironment(GatewayHarness first, String secretKey) throws IOException {
        Map<String, String> env = StandInVariables.pointingAt(first.aad);
        env.put("FHIRLINK_HTTP_PORT", Integer.toString(GatewayHarness.freePort()));
        env.put("FHIRLINK_MANAGEMENT_PORT", Integer.toString(GatewayHarness.freePort()));
        env.put("FHIRLINK_DATA_DIR", Files.createTempDirectory("fhirlink-replica").toString());
        env.put("FHIRLINK_DB_URL", jdbcUrl(first));
        env.put("FHIRLINK_SECRET_KEY", secretKey);
        env.put("FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS", "3000");
        return env;
    }

    static FhirLink startReplica(GatewayHarness first, String secretKey) throws Exception {
        return FhirLink.start(Settings.from(replicaEnvironment(first, secretKey)));
    }

    static String baseUrl(FhirLink gateway) {
        return "http://127.0.0.1:" + gateway.settings().httpPort();
    }

    static HttpResponse<String> send(FhirLink gateway, String method, String path, String token, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl(gateway) + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
