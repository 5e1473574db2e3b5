package io.fhirlink.config;

/** Missing or contradictory configuration: start-up stops with this one line, which names the variable. */
public final class ConfigurationException extends RuntimeException {

    public ConfigurationException(String message) {
        super(message, null, false, false);
    }
}
