package io.fhirlink.proxy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Request bytes held in memory across all calls at once (FHIRLINK_BUFFERED_BODY_BUDGET_BYTES): each body is read
 * whole before it is forwarded, so without a bound a few large uploads at once could take the heap. A call whose
 * bytes do not fit is refused with 503 while it is read; its bytes so far are given back.
 */
public final class BodyBudget {

    private final long limit;
    private final AtomicLong held = new AtomicLong();

    public BodyBudget(long limit) {
        this.limit = limit;
    }

    /** Takes {@code bytes} from the budget, or nothing and false when they do not fit. */
    boolean take(long bytes) {
        long now = held.addAndGet(bytes);
        if (now > limit) {
            held.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    void giveBack(long bytes) {
        held.addAndGet(-bytes);
    }
}
