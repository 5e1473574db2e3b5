package io.fhirlink.lifecycle;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.config.Settings;
import io.fhirlink.links.SecretCipher;
import io.fhirlink.links.SecretReencryption;
import io.fhirlink.support.GatewayHarness;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rotation of FHIRLINK_SECRET_KEY as the README describes it: a link sealed under key 1; the gateway restarted
 * with "key2,key1" still serves it and seals new links with key 2; {@code reencrypt-secrets} leaves no row under
 * key 1; restarted with key 2 alone, every link is still served.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeyRotationTest {

    private static final String KEY_1 = Replicas.newSecretKey();
    private static final String KEY_2 = Replicas.newSecretKey();
    private static final String KEY_1_ID = new SecretCipher(KEY_1).currentKeyId();
    private static final String KEY_2_ID = new SecretCipher(KEY_2).currentKeyId();

    /** The harness reads this map on every (re)start, so changing it and restarting is an operator's rollout. */
    private static final Map<String, String> environment = new HashMap<>(Map.of("FHIRLINK_SECRET_KEY", KEY_1));
    @RegisterExtension
    static final GatewayHarness h = GatewayHarness.forClass(environment);

    @BeforeAll
    static void linkUnderKey1ThenAddKey2() throws Exception {
        h.fhir.seedPatients(1, "Rotation");
        HttpResponse<String> created = h.register("sealed-with-key-1");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(keyOf("sealed-with-key-1")).isEqualTo(KEY_1_ID);

        environment.put("FHIRLINK_SECRET_KEY", KEY_2 + "," + KEY_1);
        h.restartGateway();
    }

    @Test
    @Order(1)
    void addingKey2_keepsLinksSealedWithKey1Served() throws Exception {
        HttpResponse<String> proxied = h.send("GET", "/sealed-with-key-1/Patient", h.token(TENANT), null);

        assertThat(proxied.statusCode()).as(proxied.body()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void addingKey2_sealsNewLinksWithKey2() throws Exception {
        HttpResponse<String> created = h.register("sealed-with-key-2");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        assertThat(keyOf("sealed-with-key-2")).isEqualTo(KEY_2_ID);
    }

    @Test
    @Order(3)
    void reencryptCommand_leavesNoRowUnderKey1() throws Exception {
        Map<String, String> command = new HashMap<>();
        command.put("FHIRLINK_DB_URL", Replicas.jdbcUrl(h));
        command.put("FHIRLINK_SECRET_KEY", KEY_2 + "," + KEY_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        int status = SecretReencryption.runCommand(Settings.from(command), new PrintStream(out, true, StandardCharsets.UTF_8));

        assertThat(status).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("re-encrypted 1 client secret(s)");
        assertThat(rowsUnder(KEY_1_ID)).isZero();
    }

    @Test
    @Order(4)
    void afterReencryption_key1CanBeRemoved() throws Exception {
        SecretReencryption.runCommand(Settings.from(Map.of(
                "FHIRLINK_DB_URL", Replicas.jdbcUrl(h), "FHIRLINK_SECRET_KEY", KEY_2 + "," + KEY_1)), new PrintStream(new ByteArrayOutputStream()));
        environment.put("FHIRLINK_SECRET_KEY", KEY_2);
        h.restartGateway();

        HttpResponse<String> proxied = h.send("GET", "/sealed-with-key-1/Patient", h.token(TENANT), null);

        assertThat(proxied.statusCode()).as(proxied.body()).isEqualTo(200);
    }

    private static String keyOf(String name) throws Exception {
        try (Connection db = Replicas.connect(h);
             PreparedStatement select = db.prepareStatement("select secret_key_id from fhir_link where display_name = ?")) {
            select.setString(1, name);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    private static int rowsUnder(String keyId) throws Exception {
        try (Connection db = Replicas.connect(h);
             PreparedStatement select = db.prepareStatement("select count(*) from fhir_link where secret_key_id = ?")) {
            select.setString(1, keyId);
            try (ResultSet row = select.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }
}
