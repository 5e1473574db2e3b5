package io.fhirlink.proxy;

import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.TypeConverter;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConsumer;
import org.apache.camel.support.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the proxy route on the event loop that received the request, asynchronously, the way camel-netty's server
 * handler does: Camel's consumer runs every exchange on a worker thread and waits there for the whole route, the
 * upstream call included. Here no thread waits: steps that must block hand their work to a worker and the route
 * resumes when it is done. The answer is written on the request's own event loop, then the exchange completes
 * (access log, metrics and graceful shutdown see the real end). A request whose body was never read (refused before
 * it) has its connection closed after the answer.
 */
final class EventLoopHttpConsumer extends VertxPlatformHttpConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(EventLoopHttpConsumer.class);
    /** Exchange property with the Vert.x context of the caller's request: upstream calls are made on it. */
    static final String REQUEST_CONTEXT = "fhirlink.requestContext";
    private static final Set<String> FRAMING = HeaderPolicy.ignoringCase("content-length", "transfer-encoding", "connection",
            "keep-alive");

    EventLoopHttpConsumer(PlatformHttpEndpoint endpoint, Processor processor, List<Handler<RoutingContext>> handlers,
            String routerName) {
        super(endpoint, processor, handlers, routerName);
    }

    @Override
    protected void handleRequest(RoutingContext ctx) {
        if (isSuspended()) {
            ctx.response().setStatusCode(503).end();
            return;
        }
        Thread eventLoop = Thread.currentThread();
        Context requestContext = Vertx.currentContext();
        Exchange exchange = createExchange(false);
        exchange.setPattern(ExchangePattern.InOut);
        exchange.setProperty(REQUEST_CONTEXT, requestContext);
        processHttpRequest(exchange, ctx).onComplete(populated -> {
            if (populated.failed()) {
                abort(ctx, exchange, populated.cause());
                return;
            }
            try {
                createUoW(exchange);
            } catch (Exception e) {
                abort(ctx, exchange, e);
                return;
            }
            getAsyncProcessor().process(exchange, doneSync -> {
                if (Thread.currentThread() == eventLoop) {
                    answer(ctx, exchange);
                } else {
                    // resumed by a worker, a token request or another event loop: write from the request's own
                    requestContext.runOnContext(v -> answer(ctx, exchange));
                }
            });
        });
    }

    /** Status, headers and body from the message, one write; then the exchange is done. */
    private void answer(RoutingContext ctx, Exchange exchange) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            // streamed by the route itself, or the caller went away
            finish(ctx, exchange);
            return;
        }
        if (response.headWritten()) {
            // a streamed answer broke off after its head went out: only a broken connection can say so now
            response.reset();
            finish(ctx, exchange);
            return;
        }
        Buffer body;
        try {
            body = writeHead(response, exchange);
        } catch (RuntimeException e) {
            LOG.error("proxy answer could not be written: {}", e.toString());
            response.reset();
            finish(ctx, exchange);
            return;
        }
        response.end(body).onComplete(written -> finish(ctx, exchange));
    }

    /**
     * Every header of the message but Camel's own and the framing Vert.x sets: the route decided what the caller
     * sees ({@link HeaderPolicy}), so Camel's HTTP filter, which would also drop the FHIR server's Cache-Control,
     * Date, Pragma and Warning, is not applied.
     */
    private static Buffer writeHead(HttpServerResponse response, Exchange exchange) {
        Message message = exchange.getMessage();
        Object body = exchange.getException() != null ? null : message.getBody();
        response.setStatusCode(HttpUtil.determineResponseCode(exchange, body));
        for (Map.Entry<String, Object> header : message.getHeaders().entrySet()) {
            String name = header.getKey();
            if (name.regionMatches(true, 0, "Camel", 0, 5) || name.startsWith("org.apache.camel")
                    || FRAMING.contains(name)) {
                continue;
            }
            AnswerHeaders.put(response, name, header.getValue());
        }
        if (RequestBodyReader.bodyLeftUnread(exchange)) {
            // the bytes still coming are not read: the connection ends with this answer
            response.putHeader("Connection", "close");
        }
        if (exchange.getException() != null) {
            // the error handler answers every failure; this is a failure inside it: say nothing of it
            LOG.error("proxy route failed without an answer: {}", exchange.getException().toString());
            response.setStatusCode(500);
        }
        return toBuffer(body, exchange.getContext().getTypeConverter(), exchange);
    }

    private static Buffer toBuffer(Object body, TypeConverter converter, Exchange exchange) {
        if (body == null) {
            return Buffer.buffer();
        }
        if (body instanceof Buffer buffer) {
            return buffer;
        }
        if (body instanceof byte[] bytes) {
            return Buffer.buffer(Unpooled.wrappedBuffer(bytes));
        }
        if (body instanceof ByteBuffer bytes) {
            return Buffer.buffer(Unpooled.wrappedBuffer(bytes));
        }
        if (body instanceof String text) {
            return Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
        }
        // a step an operator added left another type: Camel converts it (never a stream: that would block)
        return Buffer.buffer(converter.convertTo(byte[].class, exchange, body));
    }

    private void finish(RoutingContext ctx, Exchange exchange) {
        RequestBodyReader.afterAnswer(ctx.request());
        doneUoW(exchange);
        releaseExchange(exchange, false);
    }

    /** The exchange could not even start: answer 500 without detail, and release it. */
    private void abort(RoutingContext ctx, Exchange exchange, Throwable cause) {
        LOG.error("proxy request could not start: {}", cause.toString());
        if (!ctx.response().ended()) {
            ctx.response().setStatusCode(500).end();
        }
        releaseExchange(exchange, false);
    }
}
