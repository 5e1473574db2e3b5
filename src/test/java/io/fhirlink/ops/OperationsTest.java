package io.fhirlink.ops;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LogCapture;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.rmi.registry.LocateRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What operators rely on: MBeans over a real JMX connection, readiness that follows the database, Prometheus
 * counters that count exactly, and access and audit lines that carry the request id but no secret or PHI.
 * The gateway reaches its PostgreSQL through a relay the test can cut, as a network partition would.
 */
class OperationsTest {

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of()).onRelayedDatabase();
    private static JMXConnectorServer jmxServer;
    private static JMXConnector jmx;
    private static final LogCapture logs = new LogCapture();

    @BeforeAll
    static void start() throws Exception {
        logs.attach();
        assertThat(harness.register("ops").statusCode()).isEqualTo(201);

        int registryPort = GatewayHarness.freePort();
        LocateRegistry.createRegistry(registryPort);
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + registryPort + "/jmxrmi");
        jmxServer = JMXConnectorServerFactory.newJMXConnectorServer(url, null, ManagementFactory.getPlatformMBeanServer());
        jmxServer.start();
        jmx = JMXConnectorFactory.connect(url);
    }

    @AfterAll
    static void stop() throws Exception {
        logs.detach();
        jmx.close();
        jmxServer.stop();
    }

    @Test
    void jmx_showsRoutesAndPerLinkTrafficCounts_andEvictsALink() throws Exception {
        MBeanServerConnection beans = jmx.getMBeanServerConnection();
        String prefix = "io.fhirlink:port=" + harness.gateway().settings().httpPort();
        ObjectName traffic = new ObjectName(prefix + ",type=LinkTraffic,name=\"ops\"");
        ObjectName linkCache = new ObjectName(prefix + ",type=LinkCache");
        ObjectName tokenCache = new ObjectName(prefix + ",type=TokenCache");
        String token = harness.token(TENANT);
        harness.send("GET", "/ops/Patient", token, null); // warm: the counters below start from here
        awaitAttribute(beans, traffic, "Requests", 1);
        long requestsBefore = (Long) beans.getAttribute(traffic, "Requests");
        long fourxxBefore = (Long) beans.getAttribute(traffic, "Status4xx");

        for (int i = 0; i < 7; i++) {
            harness.send("GET", "/ops/Patient", token, null);
        }
        for (int i = 0; i < 3; i++) {
            harness.send("GET", "/ops/Patient/missing-" + i, token, null);
        }

        // counted once the answer has been written, a moment after the client has it
        awaitAttribute(beans, traffic, "Requests", requestsBefore + 10);
        assertThat((Long) beans.getAttribute(traffic, "Requests") - requestsBefore).isEqualTo(10);
        assertThat((Long) beans.getAttribute(traffic, "Status4xx") - fourxxBefore).isEqualTo(3);
        assertThat((Long) beans.getAttribute(tokenCache, "TokenRequests")).isGreaterThanOrEqualTo(1);
        assertThat(beans.queryNames(new ObjectName("org.apache.camel:type=routes,name=\"fhir-proxy\",*"), null)).hasSize(1);

        long lookupsBefore = (Long) beans.getAttribute(linkCache, "DatabaseLookups");
        beans.invoke(linkCache, "evict", new Object[] {"ops"}, new String[] {String.class.getName()});
        harness.send("GET", "/ops/Patient", token, null);
        assertThat((Long) beans.getAttribute(linkCache, "DatabaseLookups")).isEqualTo(lookupsBefore + 1);
    }

    @Test
    void metrics_countExactlyTheProxiedRequests() throws Exception {
        String token = harness.token(TENANT);
        harness.send("GET", "/ops/Patient", token, null);
        double before = settled(OperationsTest::proxiedOk); // that request's count has landed

        for (int i = 0; i < 12; i++) {
            harness.send("GET", "/ops/Patient?_count=1", token, null);
        }

        // counted once the answer has been written; then no late extra count may follow
        await().atMost(Duration.ofSeconds(5)).until(() -> proxiedOk() - before >= 12.0);
        assertThat(settled(OperationsTest::proxiedOk) - before).isEqualTo(12.0);
    }

    @Test
    void readiness_goesDownWithTheDatabaseAndBackUpWithoutRestart() throws Exception {
        assertThat(ready()).isEqualTo(200);
        assertThat(harness.send("GET", "/ops/Patient", harness.token(TENANT), null).statusCode()).isEqualTo(200);
        harness.database().cut();
        try {
            awaitReadiness(503);
            // cached links keep working meanwhile
            assertThat(harness.send("GET", "/ops/Patient", harness.token(TENANT), null).statusCode()).isEqualTo(200);
        } finally {
            harness.database().open();
        }
        awaitReadiness(200);
        assertThat(harness.register("after-outage").statusCode()).isEqualTo(201);
    }

    @Test
    void accessAndAuditLines_carryTheRequestId_butNoSecretTokenOrQueryValue() throws Exception {
        String token = harness.token(TENANT);
        harness.send("GET", "/ops/Patient?family=Smithereens&given=Ottoline", token, null, "X-Request-Id", "audit-me-1");
        harness.send("POST", "/FhirServers/aadfhirrecord", token, harness.registration("audited"), "X-Request-Id", "audit-me-2");

        assertThat(logs.lines()).anySatisfy(line -> assertThat(line).startsWith("io.fhirlink.access")
                .contains("requestId=audit-me-1").contains("link=ops").contains("path=/ops/Patient?family&given")
                .contains("status=200").contains("upstream=200"));
        assertThat(logs.lines()).anySatisfy(line -> assertThat(line).startsWith("io.fhirlink.audit")
                .contains("link created").contains("name=audited").contains("requestId=audit-me-2"));
        assertThat(logs.lines()).noneSatisfy(line -> assertThat(line)
                .containsAnyOf(GatewayHarness.CLIENT_SECRET, token, token.substring(token.lastIndexOf('.') + 1),
                        "Smithereens", "Ottoline"));
    }

    /** Until the counter reaches {@code atLeast} and then stays put (a late extra count would show). */
    private static void awaitAttribute(MBeanServerConnection beans, ObjectName name, String attribute, long atLeast) {
        await().atMost(Duration.ofSeconds(5)).until(() -> (Long) beans.getAttribute(name, attribute) >= atLeast);
        settled(() -> ((Long) beans.getAttribute(name, attribute)).doubleValue());
    }

    /** A counter's value once it has not moved for 300 ms: counts land a moment after the caller has its answer. */
    private static double settled(Callable<Double> counter) {
        AtomicReference<Double> last = new AtomicReference<>(Double.NaN);
        await().pollInterval(Duration.ofMillis(50)).during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> {
                    double now = counter.call();
                    return now == last.getAndSet(now);
                });
        return last.get();
    }

    private static double proxiedOk() throws Exception {
        String metrics = harness.http().send(HttpRequest.newBuilder(URI.create(harness.managementUrl() + "/observe/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^fhirlink_proxy_requests_seconds_count\\{[^}]*link=\"ops\"[^}]*status_class=\"2xx\"[^}]*} (\\S+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static int ready() throws Exception {
        HttpResponse<String> answer = harness.http().send(HttpRequest.newBuilder(
                        URI.create(harness.managementUrl() + "/observe/health/ready?exposureLevel=full"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return answer.statusCode();
    }

    private static void awaitReadiness(int status) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(ready()).as("readiness").isEqualTo(status));
    }
}
