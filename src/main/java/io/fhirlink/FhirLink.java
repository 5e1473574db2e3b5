package io.fhirlink;

import java.util.Map;
import java.util.Properties;
import io.fhirlink.proxy.RawPathGuard;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

/**
 * One running gateway: its database (embedded or external, migrated), its Camel context with the YAML routes,
 * the API/proxy server on FHIRLINK_HTTP_PORT and the management server on FHIRLINK_MANAGEMENT_PORT.
 * {@link io.fhirlink.Main} runs one until stopped; tests start and stop them in-process.
 */
public final class FhirLink implements AutoCloseable {

    private final Settings settings;
    private final Database database;
    private final Main main;

    private FhirLink(Settings settings, Database database, Main main) {
        this.settings = settings;
        this.database = database;
        this.main = main;
    }

    /** Starts a gateway and returns once it serves requests. */
    public static FhirLink start(Settings settings) throws Exception {
        Database database = Database.open(settings);
        try {
            Main main = new Main();
            main.setDefaultPropertyPlaceholderLocation(
                    "classpath:application.properties;optional=true,file:" + Settings.OPERATOR_CONFIG + ";optional=true");
            main.setOverrideProperties(camelProperties(settings));
            main.configure().addConfiguration(new GatewayBeans(settings, database));
            main.start();
            RawPathGuard.install(main.getCamelContext());
            return new FhirLink(settings, database, main);
        } catch (Exception | Error e) {
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
                "camel.component.https.connectTimeout", Integer.toString(settings.upstreamConnectTimeoutMs()),
                "camel.component.https.connectionRequestTimeout", Integer.toString(settings.upstreamConnectTimeoutMs()),
                "camel.component.https.responseTimeout", Integer.toString(settings.upstreamResponseTimeoutMs()),
                "camel.component.https.soTimeout", Integer.toString(settings.upstreamResponseTimeoutMs())));
        return p;
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
            database.close();
        }
    }
}
