package io.fhirlink.proxy;

import io.fhirlink.ops.RequestLog;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the answer to the caller's connection the cheapest way. platform-http writes a {@code byte[]} body as a
 * stream, 16 KB at a time, each chunk through a worker-thread hop: a 50 KB search page took four hops, a 200 MB
 * search about 12,700. So small answers (read whole upstream) become a {@code ByteBuffer}, which platform-http
 * writes in a single call with its Content-Length (a Vert.x buffer would go out chunked), and large (streamed)
 * answers are written here, in 256 KB chunks, from the worker thread that already runs the exchange. Backpressure: the writer waits while Vert.x's write queue is full, so memory stays
 * bounded. Once platform-http sees the response ended it writes nothing more.
 */
public final class AnswerWriter {

    private static final Logger LOG = LoggerFactory.getLogger(AnswerWriter.class);
    private static final int CHUNK_BYTES = 256 * 1024;
    private static final long STALLED_CLIENT_SECONDS = 120;

    /** Route step, last: a whole body becomes one buffer for platform-http; a stream is written here. */
    public void write(Exchange exchange) throws InterruptedException {
        Message message = exchange.getMessage();
        if (message.getBody() instanceof byte[] whole) {
            message.setBody(ByteBuffer.wrap(whole));
            return;
        }
        if (!(message.getBody() instanceof InputStream body) || !(exchange.getIn() instanceof HttpMessage http)) {
            return;
        }
        HttpServerResponse response = http.getResponse();
        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        response.setStatusCode(status == null ? 200 : status);
        for (Map.Entry<String, Object> header : message.getHeaders().entrySet()) {
            String name = header.getKey();
            if (!HeaderPolicy.passBack(name)) {
                continue;
            }
            if (header.getValue() instanceof List<?> values) {
                response.putHeader(name, values.stream().map(String::valueOf).toList());
            } else if (header.getValue() != null) {
                response.putHeader(name, header.getValue().toString());
            }
        }
        response.setChunked(true);
        try (InputStream in = body) {
            while (true) {
                // a fresh array per chunk, handed to Netty without a copy (Buffer.buffer(byte[]) would copy it)
                byte[] chunk = new byte[CHUNK_BYTES];
                int n = in.readNBytes(chunk, 0, CHUNK_BYTES);
                if (n <= 0) {
                    break;
                }
                awaitWritable(response);
                response.write(Buffer.buffer(Unpooled.wrappedBuffer(chunk, 0, n)));
            }
            response.end();
        } catch (CallerGone e) {
            LOG.info("caller stopped reading a streamed answer: {}", e.getMessage());
            http.getRequest().connection().close();
        } catch (IOException e) {
            // Status and headers are gone: the only honest signal left is a broken connection, not a clean end.
            LOG.warn("linked FHIR server broke off a streamed answer: {}", e.getMessage());
            exchange.setProperty(RequestLog.FAILURE, "transient");
            http.getRequest().connection().close();
        }
        message.setBody(null);
    }

    /** The caller closed its connection or stopped reading. */
    private static final class CallerGone extends IOException {
        CallerGone(String message) {
            super(message);
        }
    }

    /** Waits while the caller reads slower than the FHIR server answers. */
    private static void awaitWritable(HttpServerResponse response) throws InterruptedException, CallerGone {
        while (response.writeQueueFull()) {
            CountDownLatch drained = new CountDownLatch(1);
            response.drainHandler(v -> drained.countDown());
            response.exceptionHandler(e -> drained.countDown());
            if (!response.writeQueueFull()) {
                return;
            }
            if (!drained.await(STALLED_CLIENT_SECONDS, TimeUnit.SECONDS) || response.closed()) {
                throw new CallerGone("no progress for " + STALLED_CLIENT_SECONDS + " s");
            }
        }
        if (response.closed()) {
            throw new CallerGone("connection closed");
        }
    }
}
