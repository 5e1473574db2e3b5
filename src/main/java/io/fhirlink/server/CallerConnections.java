package io.fhirlink.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a caller's connection to the public port must keep to, below the HTTP API. Vert.x's server gives no hook
 * for these, so they are two Netty handlers put into each new connection's pipeline:
 * <ul>
 *   <li>a request's head must say one thing to every server on the way (request smuggling): Netty reads a request
 *       with both {@code Content-Length} and {@code Transfer-Encoding: chunked} by the chunks and drops the length,
 *       reads {@code chunked, identity} or a folded header as chunked, and takes a second {@code Host}, while a front
 *       proxy may read each of them the other way, and a request hidden in the body would then run. The decoder
 *       refuses them, and raw bytes above 0x7F in the path (FHIR paths are ASCII; encoded they may pass), as
 *       malformed: Vert.x answers 400, closes the connection, and nothing after the head is read;</li>
 *   <li>a connection must make progress: from when it opens, and from the end of each answer, the next request's
 *       head (request line and headers) must have arrived within FHIRLINK_CLIENT_IDLE_TIMEOUT_MS, or the
 *       connection is closed. A slow drip of header bytes does not keep it open; a request waiting for a slow FHIR
 *       server does not count against it (the upstream deadline bounds that).</li>
 * </ul>
 */
final class CallerConnections {

    private static final Logger LOG = LoggerFactory.getLogger(CallerConnections.class);

    private CallerConnections() {
    }

    /** For {@code HttpServer.connectionHandler}: called for each new connection before it reads a byte. */
    static void configure(HttpConnection connection, HttpServerOptions options, long headTimeoutMs) {
        if (!(connection instanceof ConnectionBase base)) {
            return; // HTTP/2 or a future Vert.x: nothing to adjust
        }
        // a caller that resets or sends garbage is answered (or dropped) by Vert.x; one log line each at DEBUG, not ERROR
        connection.exceptionHandler(e -> LOG.debug("caller connection: {}", e.toString()));
        ChannelPipeline pipeline = base.channel().pipeline();
        if (pipeline.get("httpDecoder") instanceof VertxHttpRequestDecoder) {
            pipeline.replace("httpDecoder", "httpDecoder", new UnambiguousRequestDecoder(options));
            pipeline.addAfter("httpEncoder", "fhirlinkRequestHeadTimeout", new RequestHeadTimeout(headTimeoutMs));
        }
    }

    /** Vert.x's request decoder, refusing a request head other servers could read differently. */
    static final class UnambiguousRequestDecoder extends VertxHttpRequestDecoder {

        UnambiguousRequestDecoder(HttpServerOptions options) {
            super(options);
        }

        @Override
        protected HttpMessage createMessage(String[] initialLine) {
            String target = initialLine[1];
            int query = target.indexOf('?');
            for (int i = 0, end = query < 0 ? target.length() : query; i < end; i++) {
                if (target.charAt(i) > 0x7f) {
                    throw new IllegalArgumentException("raw bytes above 0x7F in the path");
                }
            }
            return super.createMessage(initialLine);
        }

        /** Netty asks this once the head is parsed, before it decides how to read the body: the place to refuse. */
        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            List<String> codings = msg.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
            if (!codings.isEmpty() && (codings.size() > 1 || msg.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                    || !"chunked".equalsIgnoreCase(codings.get(0).trim()))) {
                throw new IllegalArgumentException("an ambiguous Transfer-Encoding");
            }
            if (msg.headers().getAll(HttpHeaderNames.HOST).size() > 1) {
                throw new IllegalArgumentException("two Host headers");
            }
            return super.isContentAlwaysEmpty(msg);
        }
    }

    /** Closes a connection whose next request head does not arrive in time. */
    static final class RequestHeadTimeout extends ChannelDuplexHandler {

        private final long timeoutMs;
        private ScheduledFuture<?> pending;
        /** Request heads read minus answers written: the connection is idle at 0 (pipelined requests wait above). */
        private int open;

        RequestHeadTimeout(long timeoutMs) {
            this.timeoutMs = timeoutMs;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            arm(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof HttpRequest) {
                open++;
                disarm();
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof LastHttpContent && --open <= 0) {
                open = 0;
                promise = promise.unvoid();
                promise.addListener(written -> arm(ctx));
            }
            super.write(ctx, msg, promise);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            disarm();
            super.channelInactive(ctx);
        }

        private void arm(ChannelHandlerContext ctx) {
            disarm();
            if (open == 0) {
                pending = ctx.executor().schedule(() -> ctx.close(), timeoutMs, TimeUnit.MILLISECONDS);
            }
        }

        private void disarm() {
            if (pending != null) {
                pending.cancel(false);
                pending = null;
            }
        }
    }
}
