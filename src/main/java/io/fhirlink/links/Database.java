package io.fhirlink.links;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.fhirlink.config.ConfigurationException;
import io.fhirlink.config.Settings;
import io.fhirlink.failure.Throwables;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The link store: an external PostgreSQL when {@code FHIRLINK_DB_URL} is set, else an embedded one whose files
 * live under {@code FHIRLINK_DATA_DIR} so links survive a restart. Migrations run before any route starts.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    /** With the embedded database: this process's claim on FHIRLINK_DATA_DIR (see {@link #claimDataDir}). */
    private final FileChannel dataDirClaim;
    private final EmbeddedPostgres embedded;
    private final HikariDataSource dataSource;

    private Database(FileChannel dataDirClaim, EmbeddedPostgres embedded, HikariDataSource dataSource) {
        this.dataDirClaim = dataDirClaim;
        this.embedded = embedded;
        this.dataSource = dataSource;
    }

    public static Database open(Settings settings) {
        FileChannel dataDirClaim = null;
        EmbeddedPostgres embedded = null;
        String url;
        String user;
        String password;
        if (settings.embeddedDatabase()) {
            dataDirClaim = claimDataDir(settings.dataDir());
            try {
                embedded = startEmbedded(settings);
            } catch (RuntimeException e) {
                closeQuietly(dataDirClaim);
                throw e;
            }
            url = embedded.getJdbcUrl("postgres", "postgres");
            user = "postgres";
            password = "";
        } else {
            url = settings.dbUrl().orElseThrow();
            user = settings.dbUser();
            password = settings.dbPassword();
        }
        HikariConfig pool = new HikariConfig();
        pool.setPoolName("fhir-link-db");
        pool.setJdbcUrl(url);
        pool.setUsername(user);
        pool.setPassword(password);
        pool.setMaximumPoolSize(10);
        // The proxy works from its caches while the database is away: a short wait, then a clear 503.
        pool.setConnectionTimeout(3000);
        pool.setInitializationFailTimeout(-1);
        HikariDataSource dataSource = new HikariDataSource(pool);
        try {
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            closeQuietly(embedded);
            closeQuietly(dataDirClaim);
            throw new ConfigurationException("cannot prepare the database at " + redact(url) + ": " + Throwables.rootMessage(e)
                    + (settings.embeddedDatabase() ? "" : " (check FHIRLINK_DB_URL, FHIRLINK_DB_USER, FHIRLINK_DB_PASSWORD)"));
        }
        return new Database(dataDirClaim, embedded, dataSource);
    }

    private static EmbeddedPostgres startEmbedded(Settings settings) {
        try {
            Files.createDirectories(settings.embeddedDatabaseDir());
            stopLeftoverServer(settings.embeddedDatabaseDir());
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(settings.embeddedDatabaseDir())
                    .setCleanDataDirectory(false)
                    .start();
            LOG.info("fhir-link data lives in {} (embedded PostgreSQL on 127.0.0.1:{})",
                    settings.dataDir(), pg.getPort());
            return pg;
        } catch (IOException | RuntimeException e) {
            throw new ConfigurationException("cannot start the embedded PostgreSQL under FHIRLINK_DATA_DIR="
                    + settings.dataDir() + ": " + Throwables.rootMessage(e));
        }
    }

    /**
     * Only one process may run the embedded PostgreSQL of a data directory: a second gateway, or
     * {@code reencrypt-secrets} started beside a running one, would otherwise take the running one's server for a
     * leftover and stop it. The claim is an OS file lock, which the OS releases when the holder dies, even by kill -9,
     * so a leftover server of a dead gateway is still recognised as one.
     */
    private static FileChannel claimDataDir(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            FileChannel channel = FileChannel.open(dataDir.resolve("fhir-link.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException heldInThisProcess) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new ConfigurationException("another fhir-link is running with FHIRLINK_DATA_DIR=" + dataDir
                        + " (its embedded PostgreSQL); stop it first");
            }
            return channel;
        } catch (IOException e) {
            throw new ConfigurationException("cannot use FHIRLINK_DATA_DIR=" + dataDir + ": " + Throwables.rootMessage(e));
        }
    }

    /**
     * A gateway killed without a chance to stop (kill -9, OOM killer, power loss of the container's main process)
     * leaves its embedded PostgreSQL running, holding the data directory. Ask that orphan to shut down (SIGTERM:
     * PostgreSQL's smart shutdown, which completes at once without clients and loses nothing committed) and wait.
     */
    private static void stopLeftoverServer(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.isReadable(pidFile)) {
            return;
        }
        String firstLine = Files.readAllLines(pidFile).stream().findFirst().orElse("").trim();
        long pid;
        try {
            pid = Long.parseLong(firstLine);
        } catch (NumberFormatException e) {
            return; // not a pid file we understand: let PostgreSQL judge it
        }
        Optional<ProcessHandle> leftover = ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (leftover.isEmpty()) {
            return; // stale file of a server that is gone: PostgreSQL removes it itself
        }
        LOG.warn("stopping the embedded PostgreSQL (pid {}) left running by a gateway that did not stop cleanly", pid);
        leftover.get().destroy();
        try {
            leftover.get().onExit().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("the leftover embedded PostgreSQL (pid " + pid + ") did not stop; stop it and retry");
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * A connection of its own, outside the pool, to the same database: for a holder that keeps it open for good
     * (LISTEN), which would otherwise take a pool slot forever. The caller closes it.
     */
    public Connection openDedicatedConnection(Properties driverProperties) throws SQLException {
        Properties properties = new Properties();
        properties.putAll(driverProperties);
        // the pool's own settings: one source for where the database is
        properties.setProperty("user", dataSource.getUsername());
        properties.setProperty("password", dataSource.getPassword());
        return DriverManager.getConnection(dataSource.getJdbcUrl(), properties);
    }

    /**
     * Retires the pooled connections (idle ones now, busy ones when returned): after the database was away they are
     * likely dead, and one used in the last 500 ms would be handed out unchecked and fail a request.
     */
    public void evictPooledConnections() {
        if (dataSource.getHikariPoolMXBean() != null) {
            dataSource.getHikariPoolMXBean().softEvictConnections();
        }
    }

    /** The embedded server, for tests that stop and restart the database; empty with an external one. */
    public EmbeddedPostgres embedded() {
        return embedded;
    }

    @Override
    public void close() {
        dataSource.close();
        closeQuietly(embedded);
        closeQuietly(dataDirClaim);
    }

    private static void closeQuietly(Closeable resource) {
        if (resource != null) {
            try {
                resource.close();
            } catch (IOException e) {
                LOG.warn("{} did not close cleanly: {}", resource.getClass().getSimpleName(), e.getMessage());
            }
        }
    }

    private static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
