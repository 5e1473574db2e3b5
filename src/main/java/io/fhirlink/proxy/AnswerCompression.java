package io.fhirlink.proxy;

import io.fhirlink.config.Settings;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Which answers Vert.x compresses (it compresses every answer once FHIRLINK_COMPRESSION_LEVEL turns compression on,
 * and Vert.x 4.5 has no size threshold): text (JSON, XML, text/*) of unknown length (streamed) or of at least
 * {@link #MIN_BYTES}. Others are marked {@code Content-Encoding: identity} just before the head is written, which
 * Vert.x's compressor takes as "leave plain" and removes from the head. Compressed or not, the answer then depends on
 * the caller's Accept-Encoding: {@code Vary} says so.
 */
public final class AnswerCompression implements Handler<RoutingContext> {

    /** One TCP segment: a smaller answer costs no extra round trip plain, so compressing it only costs CPU. */
    static final long MIN_BYTES = 1400;

    public static void install(CamelContext camel, Settings settings) {
        if (settings.compressionLevel() == 0) {
            return;
        }
        AnswerCompression handler = new AnswerCompression();
        for (VertxPlatformHttpRouter router : camel.getRegistry().findByType(VertxPlatformHttpRouter.class)) {
            if (!router.isManagementServer()) {
                router.route().order(Integer.MIN_VALUE + 2).handler(handler);
            }
        }
    }

    @Override
    public void handle(RoutingContext ctx) {
        ctx.addHeadersEndHandler(headersEnd -> decide(ctx.response().headers()));
        ctx.next();
    }

    static void decide(MultiMap headers) {
        if (headers.contains(HttpHeaders.CONTENT_ENCODING)) {
            return; // already encoded by whoever made the body
        }
        if (worthCompressing(headers.get(HttpHeaders.CONTENT_TYPE), headers.get(HttpHeaders.CONTENT_LENGTH))) {
            AnswerHeaders.addVary(headers, "Accept-Encoding");
        } else {
            headers.set(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
        }
    }

    static boolean worthCompressing(String contentType, String contentLength) {
        if (!UpstreamResponse.isText(contentType)) {
            return false; // images, PDFs and other binaries are compressed already, or not worth it
        }
        if (contentLength == null) {
            return true; // streamed: large by construction
        }
        try {
            return Long.parseLong(contentLength.trim()) >= MIN_BYTES;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
