package io.fhirlink.proxy;

import io.fhirlink.failure.GatewayException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.WebServerRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * Reads the caller's request body, exactly as sent, once the caller is authenticated and owns the link: nobody's
 * bytes are held in memory before their token is checked. The proxy route's {@code from} reads no body itself
 * ({@code useBodyHandler: false}), so a form-encoded POST {@code _search} is forwarded byte for byte instead of being
 * parsed into form fields and lost. The body is kept whole so it goes upstream with its {@code Content-Length} and
 * can be sent again on the token retry. Bodies over the limit are refused with 413 as soon as the declared length or
 * the bytes read pass it.
 */
public final class RequestBodyReader {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final long maxBytes;
    private final BodyBudget budget;

    public RequestBodyReader(long maxBytes, BodyBudget budget) {
        this.maxBytes = maxBytes;
        this.budget = budget;
    }

    /** Route step on the event loop (the proxy): the paused request becomes its body's bytes (or no body). */
    public CompletionStage<Void> readAsync(Exchange exchange) {
        return start(exchange);
    }

    /**
     * Route step on a worker thread (the management routes): the same, the worker waiting here while the event loop
     * reads.
     */
    public void read(Exchange exchange) {
        try {
            start(exchange).toCompletableFuture().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    CompletionStage<Void> start(Exchange exchange) {
        Message message = exchange.getMessage();
        if (!(message.getBody() instanceof HttpServerRequest request)) {
            return DONE;
        }
        long declared = declaredLength(request.getHeader("Content-Length"));
        if (declared > maxBytes) {
            throw tooLarge(maxBytes);
        }
        if (request.isEnded()) {
            message.setBody(null);
            return DONE;
        }
        // a declared length is taken from the budget at once and read into a buffer of that size (no regrowth
        // copies of a large body); a chunked body takes its bytes as they come
        long reserved = declared > 0 ? declared : 0;
        if (reserved > 0 && !budget.take(reserved)) {
            throw budgetSpent();
        }
        long[] taken = {reserved};
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                budget.giveBack(taken[0]);
            }
        });
        CompletableFuture<Void> read = new CompletableFuture<>();
        Buffer body = Buffer.buffer(reserved > 0 ? (int) reserved : 1024);
        request.handler(chunk -> {
            if (read.isDone()) {
                return;
            }
            long after = body.length() + (long) chunk.length();
            if (after > maxBytes) {
                read.completeExceptionally(tooLarge(maxBytes));
                return;
            }
            if (after > taken[0]) {
                if (!budget.take(after - taken[0])) {
                    read.completeExceptionally(budgetSpent());
                    return;
                }
                taken[0] = after;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(read::completeExceptionally);
        request.endHandler(v -> {
            message.setBody(body.length() == 0 ? null : body); // a Buffer: forwarded (and sent again on a retry) without a copy
            read.complete(null);
        });
        if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
            request.response().writeContinue();
        }
        request.resume();
        return read;
    }

    /**
     * Route step for a route on Camel's own engine (the management API), before anything that may refuse the
     * request: an answer given while the body is unread says {@code Connection: close} (without it, a client keeping
     * the connection sends its next request onto a connection being closed and gets no answer at all), and once it
     * is written the request is finished the way {@link #afterAnswer} says. The proxy's consumer does both itself.
     */
    public void closeIfBodyUnread(Exchange exchange) {
        if (exchange.getIn() instanceof HttpMessage http) {
            HttpServerRequest request = http.getRequest();
            // runs on the event loop just before the head is written, when it is known whether the body was read
            Handler<Void> closeIfUnread = headersEnd -> {
                if (!request.isEnded() && declaresBody(request)) {
                    http.getResponse().putHeader("Connection", "close");
                }
            };
            if (request instanceof WebServerRequest routed) {
                // added to the router's list: the response holds one headers-end handler, and the handlers in
                // front of every route (AnswerCompression) have theirs there too
                routed.routingContext().addHeadersEndHandler(closeIfUnread);
            } else {
                http.getResponse().headersEndHandler(closeIfUnread);
            }
            exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
                @Override
                public void onDone(Exchange done) {
                    afterAnswer(request);
                }
            });
        }
    }

    /**
     * True when the caller sent a body that nobody read (refused before it, or too large): the answer must say
     * {@code Connection: close}, as the connection is closed after it rather than reading the bytes still coming.
     */
    public static boolean bodyLeftUnread(Exchange exchange) {
        return exchange.getIn() instanceof HttpMessage http && !http.getRequest().isEnded() && declaresBody(http.getRequest());
    }

    /**
     * After the answer: a request whose body was never read has its connection closed; a request without a body is
     * let finish (it stays paused until then, and its connection with it), so the connection serves the next one.
     */
    public static void afterAnswer(HttpServerRequest request) {
        if (request.isEnded() || request.response().closed()) {
            return;
        }
        if (declaresBody(request)) {
            request.response().close();
        } else {
            request.resume();
        }
    }

    private static boolean declaresBody(HttpServerRequest request) {
        return request.getHeader("Transfer-Encoding") != null || declaredLength(request.getHeader("Content-Length")) > 0;
    }

    private static GatewayException budgetSpent() {
        return new GatewayException(503, "transient", "Service unavailable",
                "The gateway is holding as many request bytes as it may right now; send the request again shortly.")
                .withHeader("Retry-After", "2");
    }

    static GatewayException tooLarge(long maxBytes) {
        return new GatewayException(413, "too-costly", "Payload too large",
                "The request body is larger than the gateway accepts here (" + maxBytes + " bytes).");
    }

    /** A Content-Length header's value, or -1 (absent, or not a number). */
    static long declaredLength(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
