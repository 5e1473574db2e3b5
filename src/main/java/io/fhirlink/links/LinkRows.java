package io.fhirlink.links;

import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;

/** Maps {@code fhir_link} rows (as camel-sql returns them) to {@link Link}s, opening the sealed secret. */
public final class LinkRows {

    private final SecretCipher cipher;

    public LinkRows(SecretCipher cipher) {
        this.cipher = cipher;
    }

    public Link toLink(Map<String, Object> row) {
        String name = (String) row.get("display_name");
        return link(row, cipher.open(name, (String) row.get("secret_key_id"), (String) row.get("client_secret")));
    }

    /** A link for the management API: everything but the secret, which is not even decrypted. */
    public Link toLinkWithoutSecret(Map<String, Object> row) {
        return link(row, null);
    }

    private static Link link(Map<String, Object> row, String secret) {
        return new Link(
                (String) row.get("display_name"),
                (String) row.get("organization_id"),
                (String) row.get("description"),
                (String) row.get("fhir_server_endpoint"),
                (String) row.get("tenant_id"),
                (String) row.get("client_id"),
                secret,
                (String) row.get("fhir_version"),
                ((Number) row.get("version")).longValue(),
                time(row.get("created_at")),
                time(row.get("updated_at")),
                credential(row),
                (String) row.get("client_certificate"));
    }

    /** Rows written before V4 have no credential column value: they are secrets. */
    private static String credential(Map<String, Object> row) {
        Object credential = row.get("credential");
        return credential == null ? "secret" : credential.toString();
    }

    private static OffsetDateTime time(Object value) {
        if (value instanceof OffsetDateTime odt) {
            return odt;
        }
        if (value instanceof Timestamp ts) {
            return ts.toInstant().atOffset(ZoneOffset.UTC);
        }
        return null;
    }
}
