package io.fhirlink;

import io.fhirlink.config.ConfigurationException;
import io.fhirlink.config.Settings;
import io.fhirlink.failure.Throwables;
import io.fhirlink.links.SecretReencryption;
import java.net.BindException;
import java.util.concurrent.CountDownLatch;

/** Runs the gateway until the process is stopped. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0) {
            System.exit(command(args));
            return;
        }
        FhirLink gateway;
        try {
            Settings settings = Settings.fromEnvironment();
            if (settings.jsonLogs()) {
                // before the first logger exists: log4j reads this once
                System.setProperty("log4j2.configurationFile", "log4j2-json.xml");
            }
            gateway = FhirLink.start(settings);
        } catch (Exception e) {
            System.err.println("fhir-link: " + startupFailure(e));
            System.exit(Throwables.find(e, ConfigurationException.class) != null ? 2 : 1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                gateway.close();
            } catch (Exception e) {
                System.err.println("fhir-link: stopping failed: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "fhirlink-shutdown"));
        stopped.await();
    }

    /** One line that says why the gateway could not start, naming the variable where one is to blame. */
    static String startupFailure(Exception e) {
        ConfigurationException configuration = Throwables.find(e, ConfigurationException.class);
        if (configuration != null) {
            return configuration.getMessage();
        }
        if (Throwables.find(e, BindException.class) != null) {
            return "a port is already in use: check FHIRLINK_HTTP_PORT and FHIRLINK_MANAGEMENT_PORT ("
                    + Throwables.find(e, BindException.class).getMessage() + ")";
        }
        Throwable root = Throwables.root(e);
        return "start-up failed: " + root.getClass().getSimpleName() + ": " + Throwables.rootMessage(root);
    }

    /** {@code fhir-link <command>}: one-off operations that run against the configured database and exit. */
    static int command(String[] args) {
        if (args.length != 1 || !args[0].equals("reencrypt-secrets")) {
            System.err.println("fhir-link: unknown command '" + String.join(" ", args)
                    + "'; without arguments the gateway runs; commands: reencrypt-secrets");
            return 2;
        }
        try {
            return SecretReencryption.runCommand(Settings.fromEnvironment(), System.out);
        } catch (Exception e) {
            ConfigurationException configuration = Throwables.find(e, ConfigurationException.class);
            System.err.println("fhir-link: reencrypt-secrets failed, nothing changed: "
                    + (configuration != null ? configuration.getMessage() : e.getMessage()));
            return configuration != null ? 2 : 1;
        }
    }
}
