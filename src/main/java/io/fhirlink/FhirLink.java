package io.fhirlink;

import io.fhirlink.config.BuiltInRoutes;
import io.fhirlink.config.Settings;
import io.fhirlink.links.Database;
import io.fhirlink.ops.CredentialExpiry;
import io.fhirlink.ops.LinkHealth;
import io.fhirlink.ops.Tracing;
import io.fhirlink.ops.TrafficStats;
import io.fhirlink.proxy.AnswerCompression;
import io.fhirlink.proxy.BrowserCors;
import io.fhirlink.proxy.RawPathGuard;
import io.fhirlink.server.GatewayHttpServers;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: its database (embedded or external, migrated), its Camel context with the YAML routes,
 * the API/proxy server on FHIRLINK_HTTP_PORT and the management server on FHIRLINK_MANAGEMENT_PORT.
 * {@link io.fhirlink.Main} runs one until stopped; tests start and stop them in-process.
 */
public final class FhirLink implements AutoCloseable {

    private final Settings settings;
    private final Database database;
    private final Vertx vertx;
    private final Main main;
    private final Optional<Tracing> tracing;

    private FhirLink(Settings settings, Database database, Vertx vertx, Main main, Optional<Tracing> tracing) {
        this.settings = settings;
        this.database = database;
        this.vertx = vertx;
        this.main = main;
        this.tracing = tracing;
    }

    /** Starts a gateway and returns once it serves requests. */
    public static FhirLink start(Settings settings) throws Exception {
        return start(settings, Clock.systemUTC());
    }

    /** The same, on another clock (link status times, secret expiry, re-probe interval): tests move time with it. */
    public static FhirLink start(Settings settings, Clock clock) throws Exception {
        Optional<Tracing> tracing = Tracing.start(settings);
        Database database;
        try {
            database = Database.open(settings);
        } catch (Exception | Error e) {
            tracing.ifPresent(Tracing::close);
            throw e;
        }
        Vertx vertx = Vertx.vertx(GatewayBeans.vertxOptions(settings));
        LoggerFactory.getLogger(FhirLink.class).info("Vert.x transport: {}",
                vertx.isNativeTransportEnabled() ? "native (epoll)" : "Java NIO (" + vertx.unavailableNativeTransportCause() + ")");
        try {
            Main main = new Main();
            main.setDefaultPropertyPlaceholderLocation("classpath:application.properties"
                    + (settings.devProfile() ? ",classpath:application-dev.properties" : "")
                    + ",file:" + Settings.OPERATOR_CONFIG + ";optional=true");
            main.setOverrideProperties(camelProperties(settings));
            if (settings.jolokiaEnabled() && settings.jolokiaUser().isEmpty()) {
                LoggerFactory.getLogger(FhirLink.class).warn("Jolokia on the management port has no basic auth"
                        + " (FHIRLINK_JOLOKIA_USER/FHIRLINK_JOLOKIA_PASSWORD unset): keep that port private");
            }
            // camel-main looks for its server factory before any CamelConfiguration runs: it goes in Main's registry
            main.bind("gatewayHttpServers", new GatewayHttpServers(settings));
            // camel-opentelemetry2 takes the OpenTelemetry tracer and propagators it finds in the registry
            tracing.ifPresent(t -> {
                main.bind("openTelemetryTracer", t.tracer());
                main.bind("openTelemetryPropagators", t.propagators());
            });
            main.configure().addConfiguration(new GatewayBeans(settings, database, vertx, clock));
            main.start();
            RawPathGuard.install(main.getCamelContext());
            BrowserCors.install(main.getCamelContext(), settings);
            AnswerCompression.install(main.getCamelContext(), settings);
            CamelContext camel = main.getCamelContext();
            camel.getRegistry().findByType(MeterRegistry.class).stream().findFirst().ifPresent(meters -> {
                camel.getRegistry().lookupByNameAndType("trafficStats", TrafficStats.class).useMeterRegistry(meters);
                camel.getRegistry().lookupByNameAndType("linkHealth", LinkHealth.class).useMeterRegistry(meters);
                camel.getRegistry().lookupByNameAndType("credentialExpiry", CredentialExpiry.class).useMeterRegistry(meters);
            });
            return new FhirLink(settings, database, vertx, main, tracing);
        } catch (Exception | Error e) {
            tracing.ifPresent(Tracing::close);
            closeQuietly(vertx);
            database.close();
            throw e;
        }
    }

    /** What the variables decide of Camel's own configuration. */
    static Properties camelProperties(Settings settings) {
        Properties p = new Properties();
        p.putAll(Map.of(
                "camel.server.port", Integer.toString(settings.httpPort()),
                "camel.server.maxBodySize", Long.toString(settings.proxyMaxBodyBytes()),
                "camel.management.port", Integer.toString(settings.managementPort()),
                "camel.management.jolokiaEnabled", Boolean.toString(settings.jolokiaEnabled()),
                "camel.component.https.connectTimeout", Integer.toString(settings.upstreamConnectTimeoutMs()),
                "camel.component.https.connectionRequestTimeout", Integer.toString(settings.upstreamConnectTimeoutMs()),
                "camel.component.https.responseTimeout", Integer.toString(settings.upstreamResponseTimeoutMs()),
                "camel.component.https.soTimeout", Integer.toString(settings.upstreamResponseTimeoutMs())));
        p.putAll(routeLocations(settings));
        if (settings.tracing()) {
            p.putAll(Tracing.camelProperties());
        }
        return p;
    }

    /**
     * Built-in routes from the classpath, plus the operator's from FHIRLINK_ROUTES_DIR; an operator's file named like
     * a built-in one replaces it. The dev profile reloads that directory's routes when they change.
     */
    static Map<String, String> routeLocations(Settings settings) {
        String dir = settings.routesDir().toString();
        Set<String> operatorFiles = new TreeSet<>();
        try (var files = Files.list(settings.routesDir())) {
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".camel.yaml")).forEach(operatorFiles::add);
        } catch (IOException noDirectory) {
            // no operator routes
        }
        StringBuilder include = new StringBuilder();
        for (String builtIn : BuiltInRoutes.fileNames()) {
            if (operatorFiles.contains(builtIn)) {
                LoggerFactory.getLogger(FhirLink.class).info("route file {} in {} replaces the built-in one", builtIn, dir);
            } else {
                include.append("classpath:routes/").append(builtIn).append(',');
            }
        }
        if (Files.isDirectory(settings.routesDir())) {
            include.append("file:").append(dir).append("/*.camel.yaml");
        } else if (include.length() > 0) {
            include.setLength(include.length() - 1); // no operator directory: built-in routes only
        }
        return Map.of(
                "camel.main.routesIncludePattern", include.toString(),
                "camel.main.routesReloadDirectory", dir);
    }

    public Settings settings() {
        return settings;
    }

    public Database database() {
        return database;
    }

    public CamelContext camelContext() {
        return main.getCamelContext();
    }

    /** A bean the routes use, for tests and operations. */
    public <T> T bean(String name, Class<T> type) {
        return camelContext().getRegistry().lookupByNameAndType(name, type);
    }

    @Override
    public void close() throws Exception {
        try {
            main.stop();
        } finally {
            tracing.ifPresent(Tracing::close);
            closeQuietly(vertx);
            database.close();
        }
    }

    /** Camel does not close a Vert.x it was given; the gateway made it, so the gateway closes it. */
    private static void closeQuietly(Vertx vertx) {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LoggerFactory.getLogger(FhirLink.class).warn("Vert.x did not stop cleanly: {}", e.toString());
        }
    }
}
