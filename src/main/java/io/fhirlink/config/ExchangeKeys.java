package io.fhirlink.config;

/**
 * Exchange properties that several steps write and the access log (or a route's YAML) reads. Properties owned by
 * one type sit beside it (e.g. {@code Link.PROPERTY}, {@code Caller.PROPERTY}).
 */
public final class ExchangeKeys {

    /** The request id, echoed back and sent upstream. */
    public static final String REQUEST_ID = "fhirlink.requestId";
    /** The upstream's status, when the request reached the FHIR server. */
    public static final String UPSTREAM_STATUS = "fhirlink.upstreamStatus";
    /** The OperationOutcome code of a failure the gateway answered itself. */
    public static final String FAILURE = "fhirlink.failure";
    /** That failure's detail, as the caller was told it (no secret, no stack trace). */
    public static final String FAILURE_DETAIL = "fhirlink.failureDetail";
    /**
     * Whether the upstream request carried the link's Azure token (the anonymous capability read does not). The
     * proxy route's retry reads it as {@code ${exchangeProperty.tokenSent}}.
     */
    public static final String TOKEN_SENT = "tokenSent";

    private ExchangeKeys() {
    }
}
