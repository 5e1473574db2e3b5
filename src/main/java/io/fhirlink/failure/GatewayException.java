package io.fhirlink.failure;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A failure with a known answer: the HTTP status, the FHIR issue code used on FHIR paths, a title and a detail
 * that tell the caller what to fix, field errors for validation, and extra response headers. Carries no stack
 * trace: these are expected outcomes, not bugs, and nothing of them may reach a log as a trace.
 */
public class GatewayException extends RuntimeException {

    public record FieldError(String field, String message) {
    }

    private final int status;
    private final String issueCode;
    private final String title;
    private final List<FieldError> errors;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public GatewayException(int status, String issueCode, String title, String detail) {
        this(status, issueCode, title, detail, List.of());
    }

    public GatewayException(int status, String issueCode, String title, String detail, List<FieldError> errors) {
        super(detail, null, false, false);
        this.status = status;
        this.issueCode = issueCode;
        this.title = title;
        this.errors = List.copyOf(errors);
    }

    public GatewayException withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public int status() {
        return status;
    }

    public String issueCode() {
        return issueCode;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    public List<FieldError> errors() {
        return errors;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public static GatewayException badRequest(String detail) {
        return new GatewayException(400, "invalid", "Bad request", detail);
    }

    public static GatewayException notFound(String detail) {
        return new GatewayException(404, "not-found", "Not found", detail);
    }

    public static GatewayException unauthenticated(String detail) {
        return new GatewayException(401, "login", "Unauthorized", detail)
                .withHeader("WWW-Authenticate", "Bearer");
    }
}
