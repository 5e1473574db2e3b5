package io.fhirlink.proxy;

import io.fhirlink.Link;
import io.fhirlink.PublicBaseUrl;
import io.fhirlink.ops.RequestLog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Shapes the FHIR server's answer for the caller: status and end-to-end headers kept, upstream URLs in
 * {@code Location}, {@code Content-Location} and the body rewritten to the gateway's, the body streamed.
 */
public final class UpstreamResponse {

    /** Answers up to this size are read whole; larger ones stream. */
    static final int SMALL_BODY_BYTES = 256 * 1024;

    private final PublicBaseUrl publicBaseUrl;

    public UpstreamResponse(PublicBaseUrl publicBaseUrl) {
        this.publicBaseUrl = publicBaseUrl;
    }

    public void prepare(Exchange exchange) throws IOException {
        Message message = exchange.getMessage();
        Link link = exchange.getProperty(Link.PROPERTY, Link.class);
        String upstreamBase = link.endpoint();
        String gatewayBase = publicBaseUrl.of(exchange) + "/" + link.displayName();

        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        long declaredLength = declaredLength(message.getHeader("Content-Length"));
        List<String> names = new ArrayList<>(message.getHeaders().keySet());
        for (String name : names) {
            if (!HeaderPolicy.passBack(name)) {
                message.removeHeader(name);
            } else if (name.equalsIgnoreCase("location") || name.equalsIgnoreCase("content-location")) {
                String value = message.getHeader(name, String.class);
                if (value != null && value.startsWith(upstreamBase)) {
                    message.setHeader(name, gatewayBase + value.substring(upstreamBase.length()));
                }
            }
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.setProperty(RequestLog.UPSTREAM_STATUS, status);
        String requestId = exchange.getProperty(RequestLog.REQUEST_ID, String.class);
        if (requestId != null && message.getHeader("X-Request-Id") == null) {
            message.setHeader("X-Request-Id", requestId);
        }

        Object body = message.getBody();
        if (body instanceof InputStream stream) {
            body = bufferIfSmall(stream, declaredLength);
        }
        if (body != null && isText(message.getHeader(Exchange.CONTENT_TYPE, String.class))) {
            byte[] from = upstreamBase.getBytes(StandardCharsets.UTF_8);
            byte[] to = gatewayBase.getBytes(StandardCharsets.UTF_8);
            body = body instanceof byte[] bytes ? UrlRewritingInputStream.rewrite(bytes, from, to)
                    : new UrlRewritingInputStream((InputStream) body, from, to);
        }
        message.setBody(body);
    }

    /**
     * Most FHIR answers are small: read those whole, so the upstream connection goes back to the pool at once and
     * the answer is written in one piece. A declared length is read straight into an array of that size. Larger
     * answers stay a stream (the prefix read so far, then the rest), so a 200 MB search passes in constant memory.
     */
    static Object bufferIfSmall(InputStream stream, long declaredLength) throws IOException {
        if (declaredLength >= 0 && declaredLength <= SMALL_BODY_BYTES) {
            byte[] body = new byte[(int) declaredLength];
            int read = stream.readNBytes(body, 0, body.length);
            stream.close();
            return read == body.length ? body : Arrays.copyOf(body, read);
        }
        byte[] head = stream.readNBytes(SMALL_BODY_BYTES + 1);
        if (head.length <= SMALL_BODY_BYTES) {
            stream.close();
            return head;
        }
        return new SequenceInputStream(new ByteArrayInputStream(head), stream);
    }

    /** The Content-Length the FHIR server declared, or -1 (chunked, absent, or not a number). */
    private static long declaredLength(Object header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.toString().trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isText(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.toLowerCase(Locale.ROOT);
        return type.contains("json") || type.contains("xml") || type.startsWith("text/");
    }
}
