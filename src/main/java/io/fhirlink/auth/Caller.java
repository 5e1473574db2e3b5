package io.fhirlink.auth;

/** Who called: the organization (the {@code tid} claim by default) owns links; the subject is for audit lines. */
public record Caller(String organization, String subject) {

    /** Exchange property that holds the authenticated caller. */
    public static final String PROPERTY = "fhirlink.caller";
}
