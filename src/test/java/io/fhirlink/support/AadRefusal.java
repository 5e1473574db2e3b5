package io.fhirlink.support;

/**
 * Azure AD refusing a token request: the HTTP status, the OAuth error and the AADSTS code with its description.
 * The checks throw it; {@link AadResponses} answers it in Azure's shape.
 */
final class AadRefusal extends Exception {

    final int status;
    final String error;
    final int code;

    AadRefusal(int status, String error, int code, String description) {
        // An answer, not a failure: no stack trace to fill in.
        super(description, null, false, false);
        this.status = status;
        this.error = error;
        this.code = code;
    }
}
