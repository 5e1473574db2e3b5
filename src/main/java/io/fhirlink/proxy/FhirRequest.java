package io.fhirlink.proxy;

/**
 * A FHIR request addressed to a link: {@code path} is what follows {@code /{displayName}} (raw, as sent, no
 * leading slash; empty for the base itself), {@code rawQuery} the query string byte for byte (Azure's
 * continuation tokens must survive intact).
 */
public record FhirRequest(String displayName, String path, String rawQuery, String method) {

    /** Exchange property that holds the parsed request. */
    public static final String PROPERTY = "fhirlink.fhirRequest";

    /** The CapabilityStatement may be read anonymously, as FHIR servers allow. */
    public boolean isCapabilityStatement() {
        return "GET".equals(method) && ("metadata".equals(path) || "metadata/".equals(path));
    }
}
