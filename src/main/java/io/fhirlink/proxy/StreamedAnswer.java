package io.fhirlink.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import java.io.Closeable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An answer too large to hold: what was read of it so far, and the rest of the FHIR server's response, paused. The
 * answer step pipes it to the caller through the URL rewrite with Vert.x back-pressure: the upstream is paused
 * while the caller's write queue is full, so memory stays bounded however large the answer. A caller that stops
 * reading is dropped after {@link #STALLED_CALLER_MS}; a broken upstream stream breaks the caller's connection, the
 * only honest signal once status and headers are gone.
 */
final class StreamedAnswer implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamedAnswer.class);
    static final long STALLED_CALLER_MS = 120_000;

    private final Buffer head;
    private final HttpClientResponse rest;
    private final UpstreamCall call;
    private final Vertx vertx;
    private UrlRewriter rewriter;

    StreamedAnswer(Buffer head, HttpClientResponse rest, UpstreamCall call, Vertx vertx) {
        this.head = head;
        this.rest = rest;
        this.call = call;
        this.vertx = vertx;
    }

    void rewriteWith(UrlRewriter rewriter) {
        this.rewriter = rewriter;
    }

    /** Streams the answer's body to the caller; completes true once all was written, false if it broke off. */
    CompletionStage<Boolean> pipeTo(HttpServerResponse out) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        long[] stall = {-1};
        out.exceptionHandler(e -> {
            if (done.complete(false)) {
                LOG.info("caller went away during a streamed answer: {}", e.toString());
                call.abandon();
            }
        });
        rest.handler(chunk -> {
            out.write(rewriter == null ? chunk : rewriter.next(chunk));
            if (out.writeQueueFull()) {
                rest.pause();
                stall[0] = vertx.setTimer(STALLED_CALLER_MS, id -> {
                    if (done.complete(false)) {
                        LOG.info("caller stopped reading a streamed answer for {} s", STALLED_CALLER_MS / 1000);
                        call.abandon();
                        out.reset();
                    }
                });
                long timer = stall[0];
                out.drainHandler(v -> {
                    vertx.cancelTimer(timer);
                    rest.resume();
                });
                // the upstream's events may run on another event loop than the caller's connection: if the queue
                // drained before the handler was set, no drain event comes; look again
                if (!out.writeQueueFull()) {
                    vertx.cancelTimer(timer);
                    rest.resume();
                }
            }
        });
        rest.endHandler(v -> {
            call.done();
            out.end(rewriter == null ? Buffer.buffer() : rewriter.end());
            done.complete(true);
        });
        rest.exceptionHandler(e -> {
            if (done.complete(false)) {
                LOG.warn("linked FHIR server broke off a streamed answer: {}", e.toString());
                call.done();
                out.reset();
            }
        });
        out.write(rewriter == null ? head : rewriter.next(head));
        rest.resume();
        return done;
    }

    /** Not wanted after all (a retry follows): the connection is dropped, not drained. */
    @Override
    public void close() {
        call.abandon();
    }
}
