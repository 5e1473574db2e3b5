package io.fhirlink.ops;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes link statuses to {@code fhir_link_status} (db/migration/V3) on one thread of its own, never on an event loop.
 * Offers made while a write is pending are coalesced: only each link's newest snapshot is written. The statement
 * merges with what other replicas wrote (an older observation never replaces a newer state). A failed write is
 * retried a few seconds later; the database being down costs the proxy nothing.
 */
public final class LinkStatusWriter extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(LinkStatusWriter.class);
    /** Offers within this long of the first one go into the same round of writes. */
    private static final long COALESCE_MILLIS = 100;
    private static final long RETRY_MILLIS = 5_000;

    static final String UPSERT = """
            insert into fhir_link_status as s (display_name, state, since, observed_at, last_success_at,
                last_failure_at, last_failure_cause, last_failure_advice, written_at)
            select l.display_name, cast(? as text), cast(? as timestamptz), cast(? as timestamptz), cast(? as timestamptz),
                cast(? as timestamptz), cast(? as text), cast(? as text), now() from fhir_link l
            where l.display_name = ? and floor(extract(epoch from l.created_at) * 1000) = cast(? as bigint)
            on conflict (display_name) do update set
                state = case when excluded.observed_at >= s.observed_at then excluded.state else s.state end,
                since = case when excluded.observed_at < s.observed_at then s.since
                             when excluded.state = s.state then least(s.since, excluded.since)
                             else greatest(excluded.since, s.observed_at) end,
                observed_at = greatest(s.observed_at, excluded.observed_at),
                last_success_at = greatest(s.last_success_at, excluded.last_success_at),
                last_failure_at = case when excluded.last_failure_at > s.last_failure_at or s.last_failure_at is null
                                       then excluded.last_failure_at else s.last_failure_at end,
                last_failure_cause = case when excluded.last_failure_at > s.last_failure_at or s.last_failure_at is null
                                          then excluded.last_failure_cause else s.last_failure_cause end,
                last_failure_advice = case when excluded.last_failure_at > s.last_failure_at or s.last_failure_at is null
                                           then excluded.last_failure_advice else s.last_failure_advice end,
                written_at = now()
            """;

    private final DataSource database;
    private final Map<String, LinkStatus> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicLong writes = new AtomicLong();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fhirlink-link-status");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean failing;

    public LinkStatusWriter(DataSource database) {
        this.database = database;
    }

    /** Non-blocking: queues the link's newest status for the writer thread. */
    void offer(LinkStatus status) {
        pending.merge(status.displayName(), status,
                (queued, offered) -> offered.observedAt().isBefore(queued.observedAt()) ? queued : offered);
        schedule(COALESCE_MILLIS);
    }

    private void schedule(long delayMillis) {
        if (scheduled.compareAndSet(false, true)) {
            try {
                thread.schedule(this::drain, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                scheduled.set(false);
            }
        }
    }

    private void drain() {
        scheduled.set(false);
        for (String name : pending.keySet()) {
            LinkStatus status = pending.remove(name);
            if (status == null) {
                continue;
            }
            try {
                upsert(status);
                if (failing) {
                    failing = false;
                    LOG.info("link status writes work again");
                }
            } catch (SQLException e) {
                pending.merge(name, status, (newer, failed) -> newer);
                if (!failing) {
                    failing = true;
                    LOG.warn("link status not written, retried in {} s: {}", RETRY_MILLIS / 1000, e.getMessage());
                }
                schedule(RETRY_MILLIS);
                return;
            }
        }
    }

    /** Blocking: writes one status on the caller's thread (the management API's, which may block). */
    void writeNow(LinkStatus status) {
        try {
            upsert(status);
        } catch (SQLException e) {
            throw new IllegalStateException("link status not written: " + e.getMessage(), e);
        }
    }

    private void upsert(LinkStatus status) throws SQLException {
        try (Connection connection = database.getConnection();
             PreparedStatement statement = connection.prepareStatement(UPSERT)) {
            statement.setString(1, status.state().wireName());
            statement.setTimestamp(2, timestamp(status.since()));
            statement.setTimestamp(3, timestamp(status.observedAt()));
            statement.setTimestamp(4, timestamp(status.lastSuccessAt()));
            LinkStatus.Failure failure = status.lastFailure();
            statement.setTimestamp(5, failure == null ? null : timestamp(failure.at()));
            statement.setString(6, failure == null ? null : failure.cause());
            statement.setString(7, failure == null ? null : failure.advice());
            statement.setString(8, status.displayName());
            statement.setLong(9, status.linkCreatedAtMillis());
            statement.executeUpdate();
            writes.incrementAndGet();
        }
    }

    private static Timestamp timestamp(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }

    /** Statements executed since start: what a test counts to prove the warm path writes nothing. */
    public long writes() {
        return writes.get();
    }

    /** Waits until every status offered before this call is written (tests, and shutdown). */
    public void flush() throws Exception {
        thread.submit(this::drain).get(10, TimeUnit.SECONDS);
    }

    @Override
    protected void doStart() {
        // the thread exists from construction
    }

    @Override
    protected void doStop() {
        try {
            flush();
        } catch (Exception e) {
            LOG.warn("link statuses not all written at shutdown: {}", e.toString());
        }
        thread.shutdownNow();
    }
}
