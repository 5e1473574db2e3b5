package io.fhirlink.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * An embedded PostgreSQL the gateway reaches only through a {@link TcpProxy}, so a test can make the database
 * unreachable ({@link #cut()}) and bring it back ({@link #open()}), as a network partition would.
 */
public final class RelayedDatabase implements AutoCloseable {

    private final EmbeddedPostgres postgres;
    private final TcpProxy relay;

    private RelayedDatabase(EmbeddedPostgres postgres, TcpProxy relay) {
        this.postgres = postgres;
        this.relay = relay;
    }

    public static RelayedDatabase start() throws IOException {
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
        return new RelayedDatabase(postgres, new TcpProxy(postgres.getPort()));
    }

    /** FHIRLINK_* variables for an external database through the relay (an external database needs a key). */
    public Map<String, String> variables() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Map.of(
                "FHIRLINK_DB_URL", "jdbc:postgresql://127.0.0.1:" + relay.port() + "/postgres?connectTimeout=2&socketTimeout=5",
                "FHIRLINK_DB_USER", "postgres",
                "FHIRLINK_SECRET_KEY", Base64.getEncoder().encodeToString(key));
    }

    public void cut() throws IOException {
        relay.cut();
    }

    public void open() throws IOException {
        relay.open();
    }

    @Override
    public void close() throws IOException {
        relay.close();
        postgres.close();
    }
}
