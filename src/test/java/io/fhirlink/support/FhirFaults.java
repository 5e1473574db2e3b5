package io.fhirlink.support;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The faults a test asks the FHIR stand-in to inject; a counted fault is taken by one request at a time. */
final class FhirFaults {

    private final AtomicInteger tokensToReject = new AtomicInteger();
    private final AtomicInteger requestsToThrottle = new AtomicInteger();
    private volatile Duration responseDelay = Duration.ZERO;
    private volatile boolean ownCors;

    void rejectNextTokens(int n) {
        tokensToReject.set(n);
    }

    void throttleNext(int n) {
        requestsToThrottle.set(n);
    }

    void setResponseDelay(Duration delay) {
        responseDelay = delay == null ? Duration.ZERO : delay;
    }

    void sendOwnCorsHeaders(boolean on) {
        ownCors = on;
    }

    void clear() {
        tokensToReject.set(0);
        requestsToThrottle.set(0);
        responseDelay = Duration.ZERO;
        ownCors = false;
    }

    /** True when this request's token is to be refused although it is valid. */
    boolean takeTokenRejection() {
        return takeOne(tokensToReject);
    }

    boolean takeThrottle() {
        return takeOne(requestsToThrottle);
    }

    boolean ownCors() {
        return ownCors;
    }

    void awaitResponseDelay() {
        Duration delay = responseDelay;
        if (!delay.isZero() && !delay.isNegative()) {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Decrements the counter if it is positive; true when this request takes the fault. */
    private static boolean takeOne(AtomicInteger counter) {
        return counter.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }
}
