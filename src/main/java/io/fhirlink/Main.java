package io.fhirlink;

import java.util.concurrent.CountDownLatch;

/** Runs the gateway until the process is stopped. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        FhirLink gateway;
        try {
            gateway = FhirLink.start(Settings.fromEnvironment());
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
}
