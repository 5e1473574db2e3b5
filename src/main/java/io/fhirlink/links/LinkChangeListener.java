package io.fhirlink.links;

import io.fhirlink.failure.Throwables;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.support.service.ServiceSupport;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this replica's link cache true to the database: LISTENs on channel {@value #CHANNEL} (announced by the
 * {@code fhir_link_changed} trigger for every committed insert, update and delete) and drops each named link, with
 * its Azure tokens, from {@link LinkDirectory}. Runs on one daemon thread with a connection of its own, outside the
 * pool. When the database goes away it reconnects with backoff, LISTENs again and, since notifications sent in
 * between are lost, drops every cached link. The cache TTL stays the backstop.
 * A Camel service: started with the context, stopped by {@code FhirLink.close()}.
 */
public final class LinkChangeListener extends ServiceSupport {

    public static final String CHANNEL = "fhir_link_changed";
    /** Payload that stands for every link (sent on TRUNCATE). */
    static final String ALL = "*";

    /** Opens a dedicated connection with the given driver properties. */
    @FunctionalInterface
    public interface Connector {
        Connection open(Properties driverProperties) throws SQLException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(LinkChangeListener.class);
    private static final int POLL_MILLIS = 250;
    /** A silent connection is checked this often, so a peer that vanished without a FIN is noticed. */
    private static final long LIVENESS_CHECK_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long MIN_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5000;

    private final Connector connector;
    private final LinkDirectory links;
    private final Runnable afterOutage;
    private final AtomicLong subscriptions = new AtomicLong();
    private final AtomicLong notifications = new AtomicLong();
    private volatile CountDownLatch firstSubscription = new CountDownLatch(1);
    private volatile boolean running;
    private volatile boolean listening;
    private Thread thread;

    /**
     * @param afterOutage runs when the listener subscribes again after losing its connection: the database was
     *                    away, so pooled connections are likely dead too (e.g. {@code Database::evictPooledConnections})
     */
    public LinkChangeListener(Connector connector, LinkDirectory links, Runnable afterOutage) {
        this.connector = connector;
        this.links = links;
        this.afterOutage = afterOutage;
    }

    @Override
    protected void doStart() throws Exception {
        running = true;
        firstSubscription = new CountDownLatch(1);
        thread = new Thread(this::run, "fhirlink-link-changes");
        thread.setDaemon(true);
        thread.start();
        // Start serving once subscribed, so a change made right after start-up is not missed; a database that is
        // away does not hold start-up (the listener keeps trying and the TTL covers the gap).
        if (!firstSubscription.await(5, TimeUnit.SECONDS)) {
            LOG.warn("link change notifications not subscribed yet; cached links expire by TTL until they are");
        }
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            t.join(TimeUnit.SECONDS.toMillis(5));
        }
        thread = null;
    }

    /** True while subscribed. */
    public boolean listening() {
        return listening;
    }

    /** How many times LISTEN succeeded (the first time plus each re-subscription after a reconnect). */
    public long subscriptions() {
        return subscriptions.get();
    }

    /** Notifications received since start. */
    public long notifications() {
        return notifications.get();
    }

    private void run() {
        long backoff = MIN_BACKOFF_MILLIS;
        boolean outageLogged = false;
        while (running) {
            try (Connection connection = connector.open(driverProperties())) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + CHANNEL);
                }
                // Whatever changed while nobody listened is unknown: forget every cached link.
                links.evictAll();
                listening = true;
                long n = subscriptions.incrementAndGet();
                if (n > 1) {
                    afterOutage.run();
                    LOG.info("link change notifications subscribed again; all cached links dropped");
                }
                outageLogged = false;
                backoff = MIN_BACKOFF_MILLIS;
                firstSubscription.countDown();
                receive(connection);
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    break;
                }
                if (!outageLogged) {
                    LOG.warn("link change notifications interrupted ({}); reconnecting, cached links expire by TTL meanwhile",
                            Throwables.rootMessage(e));
                    outageLogged = true;
                }
            } finally {
                listening = false;
            }
            if (!sleep(backoff + ThreadLocalRandom.current().nextLong(backoff / 4 + 1))) {
                break;
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
    }

    private void receive(Connection connection) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        long lastTraffic = System.nanoTime();
        while (running) {
            PGNotification[] received = pg.getNotifications(POLL_MILLIS);
            if (received != null && received.length > 0) {
                lastTraffic = System.nanoTime();
                for (PGNotification notification : received) {
                    notifications.incrementAndGet();
                    String name = notification.getParameter();
                    if (ALL.equals(name)) {
                        links.evictAll();
                    } else {
                        links.evict(name);
                    }
                }
            } else if (System.nanoTime() - lastTraffic > LIVENESS_CHECK_NANOS) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("select 1");
                }
                lastTraffic = System.nanoTime();
            }
        }
    }

    private static Properties driverProperties() {
        Properties properties = new Properties();
        properties.setProperty("ApplicationName", "fhir-link link-change listener");
        properties.setProperty("connectTimeout", "3");
        properties.setProperty("socketTimeout", "10");
        properties.setProperty("tcpKeepAlive", "true");
        return properties;
    }

    private boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return running;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
