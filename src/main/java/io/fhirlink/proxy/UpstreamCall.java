package io.fhirlink.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * One call to a linked FHIR server, bounded by a deadline for the whole of it (FHIRLINK_UPSTREAM_DEADLINE_MS): the
 * response timeout only notices a server that sends nothing, while one that drips a byte a second would hold the
 * call for ever. Past the deadline the request is reset, which fails the answer or breaks off its stream.
 */
final class UpstreamCall {

    private final Vertx vertx;
    private final long timer;
    private volatile HttpClientRequest request;
    private volatile boolean expired;

    UpstreamCall(Vertx vertx, long deadlineMs) {
        this.vertx = vertx;
        this.timer = vertx.setTimer(deadlineMs, id -> expire());
    }

    void started(HttpClientRequest request) {
        this.request = request;
        if (expired) {
            request.reset();
        }
    }

    private void expire() {
        expired = true;
        HttpClientRequest started = request;
        if (started != null) {
            started.reset(0, new TimeoutException("deadline"));
        }
    }

    /** The call is over (answer read, stream ended or broken): the deadline no longer applies. */
    void done() {
        vertx.cancelTimer(timer);
    }

    /** Stops the call early: the caller went away, or the answer is not wanted (a retry follows). */
    void abandon() {
        done();
        HttpClientRequest started = request;
        if (started != null) {
            started.reset();
        }
    }

    /**
     * What the gateway's failure mapping should see: a timeout for the deadline or the response timeout (504), an
     * {@link IOException} for anything that left the call without a usable answer (502).
     */
    Throwable failure(Throwable cause) {
        if (expired) {
            return new TimeoutException("the linked FHIR server did not complete its answer within the deadline");
        }
        if (cause instanceof IOException || cause instanceof TimeoutException) {
            return cause;
        }
        return new IOException(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage(), cause);
    }
}
