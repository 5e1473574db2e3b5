package io.fhirlink.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client secrets near their end date ({@code clientSecretExpiresOn}): a scheduled check reads every link's date,
 * keeps the gauge {@code fhirlink_link_credential_expiry_seconds{link}} (seconds until 00:00 UTC of that date,
 * negative once past) and, from {@link #WARN_DAYS} days before, logs one warning a day per link. The day is claimed
 * in {@code fhir_link_expiry_warning}, so of several replicas only one logs it. The clock is injected: a test moves
 * it instead of waiting a day.
 */
public final class CredentialExpiry extends ServiceSupport {

    public static final int WARN_DAYS = 30;
    /** How often the dates are read again (new links on other replicas appear in the gauge within this time). */
    public static final Duration PERIOD = Duration.ofMinutes(5);

    private static final Logger LOG = LoggerFactory.getLogger(CredentialExpiry.class);
    private static final String SELECT = "select display_name, client_secret_expires_on, credential from fhir_link"
            + " where client_secret_expires_on is not null";
    private static final String CLAIM_DAY = """
            insert into fhir_link_expiry_warning (display_name, warned_on) values (?, ?)
            on conflict (display_name) do update set warned_on = excluded.warned_on
            where fhir_link_expiry_warning.warned_on < excluded.warned_on
            returning display_name
            """;

    private final DataSource database;
    private final Clock clock;
    private final Map<String, LocalDate> expiries = new ConcurrentHashMap<>();
    private final Map<String, Gauge> gauges = new ConcurrentHashMap<>();
    private volatile MeterRegistry meters;
    private ScheduledExecutorService thread;

    public CredentialExpiry(DataSource database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /** Set once Camel's Micrometer registry exists (after start-up). */
    public void useMeterRegistry(MeterRegistry registry) {
        this.meters = registry;
        expiries.keySet().forEach(this::meter);
    }

    /** Days from today (UTC, by the injected clock) to the date; negative once past. */
    public static long daysLeft(LocalDate expiresOn, Clock clock) {
        return ChronoUnit.DAYS.between(LocalDate.now(clock.withZone(ZoneOffset.UTC)), expiresOn);
    }

    /** One check: read the dates, refresh the gauges, log the warnings due today. */
    public void check() throws SQLException {
        Map<String, LocalDate> found = new HashMap<>();
        Map<String, String> credentials = new HashMap<>();
        try (Connection connection = database.getConnection();
             PreparedStatement select = connection.prepareStatement(SELECT);
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                found.put(rows.getString(1), rows.getDate(2).toLocalDate());
                credentials.put(rows.getString(1), rows.getString(3));
            }
        }
        expiries.putAll(found);
        expiries.keySet().retainAll(found.keySet());
        gauges.keySet().stream().filter(name -> !found.containsKey(name)).toList().forEach(this::unmeter);
        found.keySet().forEach(this::meter);
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        for (Map.Entry<String, LocalDate> link : found.entrySet()) {
            long daysLeft = ChronoUnit.DAYS.between(today, link.getValue());
            if (daysLeft <= WARN_DAYS && claimToday(link.getKey(), today)) {
                warn(link.getKey(), link.getValue(), daysLeft, credentials.get(link.getKey()));
            }
        }
    }

    private boolean claimToday(String link, LocalDate today) throws SQLException {
        try (Connection connection = database.getConnection();
             PreparedStatement claim = connection.prepareStatement(CLAIM_DAY)) {
            claim.setString(1, link);
            claim.setDate(2, Date.valueOf(today));
            try (ResultSet claimed = claim.executeQuery()) {
                return claimed.next();
            } catch (SQLException linkJustDeleted) {
                if ("23503".equals(linkJustDeleted.getSQLState())) { // foreign key: the link is gone
                    return false;
                }
                throw linkJustDeleted;
            }
        }
    }

    private static void warn(String link, LocalDate expiresOn, long daysLeft, String credential) {
        String when = daysLeft > 0 ? "expires on " + expiresOn + " (" + daysLeft + " days left)"
                : daysLeft == 0 ? "expires today (" + expiresOn + ")"
                : "expired on " + expiresOn + " (" + -daysLeft + " days ago)";
        if ("certificate".equals(credential)) {
            LOG.warn("link '{}': its client certificate {}. Create a new certificate, upload it to the app registration"
                    + " (Certificates & secrets) and update the link with it and its key (clientCertificate, PUT"
                    + " /FhirServers/aadfhirrecord/{}).", link, when, link);
            return;
        }
        LOG.warn("link '{}': its client secret {}. Create a new client secret in the app registration (Certificates &"
                + " secrets) and update the link with it and its new clientSecretExpiresOn (PUT"
                + " /FhirServers/aadfhirrecord/{}).", link, when, link);
    }

    private void meter(String link) {
        MeterRegistry registry = meters;
        if (registry == null || gauges.containsKey(link)) {
            return;
        }
        gauges.computeIfAbsent(link, name -> Gauge.builder("fhirlink.link.credential.expiry", expiries,
                        dates -> secondsLeft(dates.get(name)))
                .description("Seconds until the link's client secret expires (00:00 UTC of clientSecretExpiresOn)")
                .baseUnit("seconds").tag("link", name).strongReference(true).register(registry));
    }

    private void unmeter(String link) {
        Gauge gauge = gauges.remove(link);
        MeterRegistry registry = meters;
        if (gauge != null && registry != null) {
            registry.remove(gauge);
        }
    }

    private double secondsLeft(LocalDate expiresOn) {
        return expiresOn == null ? Double.NaN
                : Duration.between(clock.instant(), expiresOn.atStartOfDay(ZoneOffset.UTC).toInstant()).toSeconds();
    }

    @Override
    protected void doStart() {
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fhirlink-credential-expiry");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::checkQuietly, 0, PERIOD.toSeconds(), TimeUnit.SECONDS);
    }

    private void checkQuietly() {
        try {
            check();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("client secret expiry check failed, retried in {} minutes: {}", PERIOD.toMinutes(), e.getMessage());
        }
    }

    @Override
    protected void doStop() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }
}
