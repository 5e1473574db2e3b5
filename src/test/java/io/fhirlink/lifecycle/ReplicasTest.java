package io.fhirlink.lifecycle;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.FhirLink;
import io.fhirlink.links.LinkChangeListener;
import io.fhirlink.links.LinkDirectory;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two replicas on one PostgreSQL: A (the harness, on its embedded database) and B (FHIRLINK_DB_URL pointing at it,
 * same FHIRLINK_SECRET_KEY). With B's cache warm, a change made through A reaches B through LISTEN/NOTIFY within
 * one second (measured and printed); the cache TTL (60 s) cannot be what makes it. The database restart runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicasTest {

    private static final String COLLECTION = "/FhirServers/aadfhirrecord";
    private static final String ROTATING_CLIENT_ID = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
    private static final String OLD_SECRET = "replica~old.secret_1";
    private static final String NEW_SECRET = "replica~new.secret_2";
    private static final Duration PROPAGATION_BOUND = Duration.ofSeconds(1);

    private static final String KEY = Replicas.newSecretKey();

    @RegisterExtension
    static final GatewayHarness a = GatewayHarness.forClass(Map.of("FHIRLINK_SECRET_KEY", KEY));
    private static FhirLink b;
    private static EmbeddedPostgres restartedDatabase;

    @BeforeAll
    static void startTwoReplicas() throws Exception {
        a.aad.registerApp(TENANT, ROTATING_CLIENT_ID, OLD_SECRET, true);
        a.fhir.seedPatients(1, "Replica");
        b = Replicas.startReplica(a, KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (b != null) {
                b.close();
            }
        } finally {
            try {
                a.close(); // before the database it runs on
            } finally {
                if (restartedDatabase != null) {
                    restartedDatabase.close();
                }
            }
        }
    }

    @Test
    @Order(1)
    void secretRotationOnA_isUsedByBWithinOneSecond() throws Exception {
        created(LinkBody.registration("replica-rotation", a.fhir.baseUrl()).client(ROTATING_CLIENT_ID, OLD_SECRET).json());
        warmOnB("replica-rotation");
        a.aad.registerApp(TENANT, ROTATING_CLIENT_ID, NEW_SECRET, true);

        HttpResponse<String> rotated = a.send("PUT", COLLECTION + "/replica-rotation", a.token(TENANT),
                LinkBody.writerOf(a.fhir.baseUrl()).client(ROTATING_CLIENT_ID, NEW_SECRET).description("rotated on A").json());
        assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
        long changed = System.nanoTime();
        long newSecretUses = secretUses(NEW_SECRET); // A's probe

        Duration propagation = until(() -> proxiedOnB("replica-rotation") == 200 && secretUses(NEW_SECRET) > newSecretUses, changed);

        report("secret rotation A -> B", propagation);
        assertThat(propagation).isLessThan(PROPAGATION_BOUND);
    }

    @Test
    @Order(2)
    void deleteOnA_answers404OnBWithinOneSecond() throws Exception {
        created(a.registration("replica-delete"));
        warmOnB("replica-delete");

        HttpResponse<String> deleted = a.send("DELETE", COLLECTION + "/replica-delete", a.token(TENANT), null);
        assertThat(deleted.statusCode()).isEqualTo(204);
        long changed = System.nanoTime();

        Duration propagation = until(() -> proxiedOnB("replica-delete") == 404, changed);

        report("delete A -> B", propagation);
        assertThat(propagation).isLessThan(PROPAGATION_BOUND);
    }

    @Test
    @Order(3)
    void registrationOnA_isServedByBAlthoughBRememberedTheNameAsUnknown() throws Exception {
        assertThat(proxiedOnB("replica-late")).isEqualTo(404); // B now caches "unknown" for a while

        created(a.registration("replica-late"));
        long changed = System.nanoTime();

        Duration propagation = until(() -> proxiedOnB("replica-late") == 200, changed);

        report("registration A -> B", propagation);
        assertThat(propagation).isLessThan(PROPAGATION_BOUND);
    }

    @Test
    @Order(10)
    void databaseRestart_bothListenersSubscribeAgainAndBDropsItsCachedLinks() throws Exception {
        created(a.registration("replica-restart"));
        warmOnB("replica-restart");
        long lookupsBefore = directory(b).databaseLookups();

        restartDatabase();
        assertThat(proxiedOnB("replica-restart")).isEqualTo(200);

        assertThat(directory(b).databaseLookups()).as("B read the link again after the reconnect").isEqualTo(lookupsBefore + 1);
    }

    @Test
    @Order(11)
    void afterDatabaseRestart_aChangeMadeInTheDatabaseReachesBothReplicasWithinOneSecond() throws Exception {
        restartDatabase();
        created(a.registration("replica-after-restart"));
        warmOnB("replica-after-restart");
        assertThat(proxied(a.gateway(), "replica-after-restart")).isEqualTo(200);

        // Neither replica's API makes this change: only the notification can tell their caches.
        try (Connection db = Replicas.connect(a);
             PreparedStatement delete = db.prepareStatement("delete from fhir_link where display_name = ?")) {
            delete.setString(1, "replica-after-restart");
            assertThat(delete.executeUpdate()).isEqualTo(1);
        }
        long changed = System.nanoTime();

        Duration propagation = until(() -> proxied(a.gateway(), "replica-after-restart") == 404
                && proxiedOnB("replica-after-restart") == 404, changed);

        report("database change after restart -> A and B", propagation);
        assertThat(propagation).isLessThan(PROPAGATION_BOUND);
    }

    // ---------------------------------------------------------------- helpers

    /** Stops the embedded PostgreSQL and starts it again on the same data directory and port (once per class). */
    private static synchronized void restartDatabase() throws Exception {
        if (restartedDatabase != null) {
            return;
        }
        long subscribedA = listener(a.gateway()).subscriptions();
        long subscribedB = listener(b).subscriptions();
        EmbeddedPostgres original = a.gateway().database().embedded();
        int port = original.getPort();
        original.close();
        waitFor(() -> !listener(a.gateway()).listening() && !listener(b).listening(), Duration.ofSeconds(5), "listeners notice");
        // the embedded PostgreSQL itself is down: readiness follows it
        waitFor(() -> readiness() == 503, Duration.ofSeconds(15), "readiness DOWN while PostgreSQL is stopped");
        restartedDatabase = EmbeddedPostgres.builder()
                .setDataDirectory(a.gateway().settings().embeddedDatabaseDir())
                .setCleanDataDirectory(false)
                .setPort(port)
                .start();
        long restarted = System.nanoTime();
        waitFor(() -> listener(a.gateway()).subscriptions() > subscribedA && listener(b).subscriptions() > subscribedB,
                Duration.ofSeconds(15), "both listeners subscribe again");
        report("listeners subscribed again after database start", Duration.ofNanos(System.nanoTime() - restarted));
        waitFor(() -> readiness() == 200, Duration.ofSeconds(15), "readiness UP again without a gateway restart");
    }

    private static int readiness() {
        try {
            return a.http().send(java.net.http.HttpRequest.newBuilder(
                                    java.net.URI.create(a.managementUrl() + "/observe/health/ready"))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void created(String body) throws Exception {
        long notifiedB = listener(b).notifications();
        HttpResponse<String> created = a.send("POST", COLLECTION, a.token(TENANT), body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        // B hears of the new link (and drops what it knew of the name) before the test warms B's cache
        waitFor(() -> listener(b).notifications() > notifiedB, Duration.ofSeconds(5), "B notified of the registration");
    }

    /** B serves the link and keeps it cached: a second request makes no database look-up. */
    private static void warmOnB(String name) throws Exception {
        assertThat(proxiedOnB(name)).isEqualTo(200);
        long lookups = directory(b).databaseLookups();
        assertThat(proxiedOnB(name)).isEqualTo(200);
        assertThat(directory(b).databaseLookups()).as("B's cache is warm").isEqualTo(lookups);
    }

    private static int proxiedOnB(String name) {
        return proxied(b, name);
    }

    private static int proxied(FhirLink gateway, String name) {
        try {
            return Replicas.send(gateway, "GET", "/" + name + "/Patient?_count=1", a.token(TENANT), null).statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long secretUses(String secret) {
        return a.aad.tokenRequestForms().stream().map(form -> form.get("client_secret")).filter(secret::equals).count();
    }

    /** Polls the condition until it holds (at most 10 s); the time from {@code since} to the first success. */
    private static Duration until(BooleanSupplier condition, long since) {
        await().atMost(Duration.ofNanos(since + Duration.ofSeconds(10).toNanos() - System.nanoTime()))
                .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).until(condition::getAsBoolean);
        return Duration.ofNanos(System.nanoTime() - since);
    }

    private static void waitFor(BooleanSupplier condition, Duration limit, String what) {
        await().alias(what).atMost(limit).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
    }

    private static LinkDirectory directory(FhirLink gateway) {
        return gateway.bean("linkDirectory", LinkDirectory.class);
    }

    private static LinkChangeListener listener(FhirLink gateway) {
        return gateway.bean("linkChangeListener", LinkChangeListener.class);
    }

    private static void report(String what, Duration took) {
        System.out.printf("propagation: %s took %d ms%n", what, took.toMillis());
    }
}
