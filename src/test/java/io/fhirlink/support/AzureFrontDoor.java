package io.fhirlink.support;

import ca.uhn.fhir.context.FhirContext;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.UUID;
import java.util.function.Consumer;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * Runs before HAPI on every request to the FHIR stand-in: records it, then applies delay, authentication,
 * authorization and throttling in that order, answering errors itself as Azure would.
 */
final class AzureFrontDoor implements Filter {

    private static final String FHIR_JSON = "application/fhir+json; charset=utf-8";

    private final Consumer<RecordedRequest> recorder;
    private final FhirFaults faults;
    private final AzureTokenCheck tokens;
    private final FhirContext fhir = FhirContext.forR4Cached();

    AzureFrontDoor(Consumer<RecordedRequest> recorder, FhirFaults faults, AzureTokenCheck tokens) {
        this.recorder = recorder;
        this.faults = faults;
        this.tokens = tokens;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        CachedBodyRequest request = new CachedBodyRequest((HttpServletRequest) req);
        HttpServletResponse response = (HttpServletResponse) res;
        response.setDateHeader("Date", System.currentTimeMillis());
        if (faults.ownCors()) {
            response.setHeader("Access-Control-Allow-Origin", "*");
            response.setHeader("Access-Control-Allow-Credentials", "true");
            response.setHeader("Access-Control-Expose-Headers", "x-ms-request-charge");
            response.setHeader("Access-Control-Max-Age", "86400");
            response.setHeader("Vary", "Origin");
        }
        recorder.accept(request.recorded());
        faults.awaitResponseDelay();

        boolean anonymous = "GET".equals(request.getMethod()) && "/metadata".equals(request.getRequestURI());
        if (!anonymous && refused(request.getHeader("Authorization"), response)) {
            return;
        }
        response.setHeader("x-ms-request-charge", "1.0");
        chain.doFilter(request, response);
    }

    /** Answers a request Azure would not let through, and says so. */
    private boolean refused(String authorization, HttpServletResponse response) throws IOException {
        AzureTokenCheck.Verdict verdict = tokens.check(authorization);
        if (verdict == AzureTokenCheck.Verdict.OK && faults.takeTokenRejection()) {
            verdict = AzureTokenCheck.Verdict.UNAUTHENTICATED;
        }
        switch (verdict) {
            case WRONG_AUDIENCE:
                response.setHeader("WWW-Authenticate",
                        "Bearer error=\"invalid_token\", error_description=\"The audience is invalid\"");
                outcome(response, 401, IssueType.LOGIN, "Authentication failed.");
                return true;
            case UNAUTHENTICATED:
                outcome(response, 401, IssueType.LOGIN, "Authentication failed.");
                return true;
            case FORBIDDEN:
                outcome(response, 403, IssueType.FORBIDDEN, "Authorization failed.");
                return true;
            default:
                break;
        }
        if (faults.takeThrottle()) {
            response.setHeader("Retry-After", "2");
            response.setHeader("x-ms-retry-after-ms", "2000");
            outcome(response, 429, IssueType.THROTTLED,
                    "The request rate exceeded the provisioned throughput; retry after 2000 ms.");
            return true;
        }
        return false;
    }

    /** Azure's error body: an OperationOutcome with an id and lastUpdated, as FHIR JSON. */
    private void outcome(HttpServletResponse response, int status, IssueType code, String diagnostics) throws IOException {
        OperationOutcome oo = new OperationOutcome();
        oo.setId(UUID.randomUUID().toString());
        oo.getMeta().setLastUpdated(new Date());
        oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR).setCode(code).setDiagnostics(diagnostics);
        byte[] body = fhir.newJsonParser().encodeResourceToString(oo).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType(FHIR_JSON);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
