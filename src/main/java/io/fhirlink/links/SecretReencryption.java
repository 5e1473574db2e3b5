package io.fhirlink.links;

import io.fhirlink.config.Settings;
import io.fhirlink.links.SecretCipher.Sealed;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * {@code java -jar fhir-link.jar reencrypt-secrets}: re-seals every client secret that an older key of
 * {@code FHIRLINK_SECRET_KEY} sealed with the newest (first) key, in one transaction, so the older key can then be
 * removed. Nothing changes for callers: a link's version and ETag stay, and replicas reload the rows through the
 * change trigger's notifications. Rows are locked while they are re-sealed, so a concurrent update waits.
 */
public final class SecretReencryption {

    private final DataSource dataSource;
    private final SecretCipher cipher;

    public SecretReencryption(DataSource dataSource, SecretCipher cipher) {
        this.dataSource = dataSource;
        this.cipher = cipher;
    }

    /** The command: opens the configured database, re-seals, prints the outcome; returns the exit status. */
    public static int runCommand(Settings settings, PrintStream out) throws SQLException {
        SecretCipher cipher = SecretCipher.fromSettings(settings);
        try (Database database = Database.open(settings)) {
            int count = new SecretReencryption(database.dataSource(), cipher).reencryptAll();
            out.println("fhir-link: re-encrypted " + count + " client secret(s) with key " + cipher.currentKeyId()
                    + "; no link uses another key now");
            return 0;
        }
    }

    /** Re-seals every row under another key than the current one; all or nothing. Returns how many rows. */
    public int reencryptAll() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                int count = reencrypt(connection);
                connection.commit();
                return count;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    private record Row(String displayName, String keyId, String ciphertext) {
    }

    private int reencrypt(Connection connection) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(
                "select display_name, secret_key_id, client_secret from fhir_link where secret_key_id <> ? for update")) {
            select.setString(1, cipher.currentKeyId());
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    rows.add(new Row(result.getString(1), result.getString(2), result.getString(3)));
                }
            }
        }
        try (PreparedStatement update = connection.prepareStatement(
                "update fhir_link set client_secret = ?, secret_key_id = ? where display_name = ?")) {
            for (Row row : rows) {
                Sealed sealed = cipher.reseal(row.displayName(), row.keyId(), row.ciphertext());
                update.setString(1, sealed.ciphertext());
                update.setString(2, sealed.keyId());
                update.setString(3, row.displayName());
                update.addBatch();
            }
            update.executeBatch();
        }
        return rows.size();
    }
}
