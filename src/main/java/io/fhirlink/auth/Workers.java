package io.fhirlink.auth;

import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Where the proxy's blocking work runs (a JWKS fetch, the link query, ...): Vert.x's worker pool, unordered so one
 * event loop's misses do not queue behind each other. The result comes back on the event loop that asked.
 */
public final class Workers {

    private final Vertx vertx;

    public Workers(Vertx vertx) {
        this.vertx = vertx;
    }

    public <T> CompletableFuture<T> run(Callable<T> blocking) {
        return vertx.executeBlocking(blocking, false).toCompletionStage().toCompletableFuture();
    }
}
