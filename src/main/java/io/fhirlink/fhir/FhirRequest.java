package io.fhirlink.fhir;

/**
 * A FHIR request addressed to a link: {@code path} is what follows {@code /{displayName}} (raw, as sent, no
 * leading slash; empty for the base itself), {@code rawQuery} the query string byte for byte (Azure's
 * continuation tokens must survive intact).
 */
public record FhirRequest(String displayName, String path, String rawQuery, String method) {

    /** Exchange property that holds the parsed request. */
    public static final String PROPERTY = "fhirlink.fhirRequest";

    /** A read of the CapabilityStatement: {@code GET [base]/metadata}, or the capabilities interaction {@code OPTIONS [base]}. */
    public boolean isCapabilityStatement() {
        return isMetadataRead() || isCapabilitiesInteraction();
    }

    /**
     * What the FHIR server is asked. {@code OPTIONS [base]} goes upstream as {@code GET [base]/metadata}: the same
     * answer, and the one request Azure documents as anonymous (the link's token is not sent for it).
     */
    public FhirRequest upstream() {
        return isCapabilitiesInteraction() ? new FhirRequest(displayName, "metadata", rawQuery, "GET") : this;
    }

    private boolean isMetadataRead() {
        return "GET".equals(method) && ("metadata".equals(path) || "metadata/".equals(path));
    }

    private boolean isCapabilitiesInteraction() {
        return "OPTIONS".equals(method) && path.isEmpty();
    }
}
