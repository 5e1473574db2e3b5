package io.fhirlink.registration;

/**
 * A validated registration body. {@code endpoint} is normalised: no trailing slash, no {@code /metadata}.
 * The secret stays out of {@link #toString()} so it cannot reach a log by accident.
 */
public record RegistrationRequest(
        String displayName,
        String description,
        String endpoint,
        String clientId,
        String clientSecret,
        String tenantId) {

    /** Exchange property that holds the request while the route works on it. */
    public static final String PROPERTY = "fhirlink.registration";

    @Override
    public String toString() {
        return "RegistrationRequest[" + displayName + " -> " + endpoint + ", clientId=" + clientId + "]";
    }
}
