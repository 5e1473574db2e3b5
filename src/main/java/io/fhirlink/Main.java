package io.fhirlink;

import io.fhirlink.links.SecretReencryption;
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
            ConfigurationException configuration = FailureResponses.find(e, ConfigurationException.class);
            if (configuration == null) {
                throw e;
            }
            System.err.println("fhir-link: " + configuration.getMessage());
            System.exit(2);
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
            ConfigurationException configuration = FailureResponses.find(e, ConfigurationException.class);
            System.err.println("fhir-link: reencrypt-secrets failed, nothing changed: "
                    + (configuration != null ? configuration.getMessage() : e.getMessage()));
            return configuration != null ? 2 : 1;
        }
    }
}
