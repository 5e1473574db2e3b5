package io.fhirlink.management;

/**
 * A validated registration body. {@code endpoint} is normalised: no trailing slash, no {@code /metadata};
 * {@code clientSecretExpiresOn} is optional (null).
 * The secret stays out of {@link #toString()} so it cannot reach a log by accident.
 */
public record RegistrationRequest(
        String displayName,
        String description,
        String endpoint,
        String clientId,
        String clientSecret,
        String tenantId,
        java.time.LocalDate clientSecretExpiresOn) {

    /** Exchange property that holds the request while the route works on it. */
    public static final String PROPERTY = "fhirlink.registration";

    /** The same request for another tenant (the probe resolves it). */
    public RegistrationRequest withTenant(String tenant) {
        return new RegistrationRequest(displayName, description, endpoint, clientId, clientSecret, tenant, clientSecretExpiresOn);
    }

    @Override
    public String toString() {
        return "RegistrationRequest[" + displayName + " -> " + endpoint + ", clientId=" + clientId + "]";
    }
}
