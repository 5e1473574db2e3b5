package io.fhirlink.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/**
 * A stand-in OpenTelemetry collector: OTLP/HTTP with protobuf bodies ({@code POST /v1/traces}) on a loopback port.
 * It decodes the few fields of {@code ExportTraceServiceRequest} a test looks at, with a wire-format reader of its
 * own (opentelemetry-proto's field numbers), so no generated protobuf classes are needed.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** One received span; ids in lower-case hex, times in Unix epoch nanoseconds. */
    public record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name, long startNanos,
            long endNanos, Map<String, String> attributes, Map<String, String> resource) {

        public String attribute(String key) {
            return attributes.get(key);
        }
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    public static OtlpReceiver start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        OtlpReceiver receiver = new OtlpReceiver(server);
        server.createContext("/v1/traces", exchange -> {
            try (exchange) {
                byte[] body;
                try (InputStream in = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                        ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                receiver.contentTypes.add(String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")));
                int status = 200;
                try {
                    receiver.spans.addAll(decodeRequest(body));
                } catch (RuntimeException malformed) {
                    status = 400;
                }
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(status, -1); // an empty ExportTraceServiceResponse
            }
        });
        server.start();
        return receiver;
    }

    /** The base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    public List<ReceivedSpan> spansOf(String traceId) {
        return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    public List<String> contentTypes() {
        return List.copyOf(contentTypes);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ExportTraceServiceRequest { 1: repeated ResourceSpans }
    static List<ReceivedSpan> decodeRequest(byte[] body) {
        List<ReceivedSpan> out = new java.util.ArrayList<>();
        for (Field f : fields(body)) {
            if (f.number == 1) {
                decodeResourceSpans(f.bytes, out);
            }
        }
        return out;
    }

    // ResourceSpans { 1: Resource { 1: repeated KeyValue }, 2: repeated ScopeSpans { 2: repeated Span } }
    private static void decodeResourceSpans(byte[] bytes, List<ReceivedSpan> out) {
        Map<String, String> resource = new HashMap<>();
        List<byte[]> scopeSpans = new java.util.ArrayList<>();
        for (Field f : fields(bytes)) {
            if (f.number == 1) {
                for (Field attribute : fields(f.bytes)) {
                    if (attribute.number == 1) {
                        putKeyValue(attribute.bytes, resource);
                    }
                }
            } else if (f.number == 2) {
                scopeSpans.add(f.bytes);
            }
        }
        for (byte[] scope : scopeSpans) {
            for (Field f : fields(scope)) {
                if (f.number == 2) {
                    out.add(decodeSpan(f.bytes, Map.copyOf(resource)));
                }
            }
        }
    }

    // Span { 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 7 start (fixed64), 8 end (fixed64), 9 KeyValue }
    private static ReceivedSpan decodeSpan(byte[] bytes, Map<String, String> resource) {
        HexFormat hex = HexFormat.of();
        String traceId = null, spanId = null, parent = "", name = null;
        long start = 0, end = 0;
        Map<String, String> attributes = new HashMap<>();
        for (Field f : fields(bytes)) {
            switch (f.number) {
                case 1 -> traceId = hex.formatHex(f.bytes);
                case 2 -> spanId = hex.formatHex(f.bytes);
                case 4 -> parent = hex.formatHex(f.bytes);
                case 5 -> name = new String(f.bytes, StandardCharsets.UTF_8);
                case 7 -> start = f.value;
                case 8 -> end = f.value;
                case 9 -> putKeyValue(f.bytes, attributes);
                default -> { }
            }
        }
        return new ReceivedSpan(traceId, spanId, parent, name, start, end, Map.copyOf(attributes), resource);
    }

    // KeyValue { 1 key, 2 AnyValue { 1 string, 2 bool, 3 int64, 4 double } }
    private static void putKeyValue(byte[] bytes, Map<String, String> into) {
        String key = null;
        String value = null;
        for (Field f : fields(bytes)) {
            if (f.number == 1) {
                key = new String(f.bytes, StandardCharsets.UTF_8);
            } else if (f.number == 2) {
                for (Field v : fields(f.bytes)) {
                    value = switch (v.number) {
                        case 1 -> new String(v.bytes, StandardCharsets.UTF_8);
                        case 2 -> Boolean.toString(v.value != 0);
                        case 3 -> Long.toString(v.value);
                        case 4 -> Double.toString(Double.longBitsToDouble(v.value));
                        default -> value;
                    };
                }
            }
        }
        if (key != null && value != null) {
            into.put(key, value);
        }
    }

    /** One protobuf field: a number and either a length-delimited payload or a scalar. */
    private record Field(int number, byte[] bytes, long value) {
    }

    private static List<Field> fields(byte[] data) {
        List<Field> out = new java.util.ArrayList<>();
        int[] pos = {0};
        while (pos[0] < data.length) {
            long tag = varint(data, pos);
            int number = (int) (tag >>> 3);
            switch ((int) (tag & 7)) {
                case 0 -> out.add(new Field(number, null, varint(data, pos)));
                case 1 -> {
                    long v = 0;
                    for (int i = 7; i >= 0; i--) {
                        v = (v << 8) | (data[pos[0] + i] & 0xff);
                    }
                    pos[0] += 8;
                    out.add(new Field(number, null, v));
                }
                case 2 -> {
                    int length = (int) varint(data, pos);
                    byte[] payload = java.util.Arrays.copyOfRange(data, pos[0], pos[0] + length);
                    pos[0] += length;
                    out.add(new Field(number, payload, 0));
                }
                case 5 -> pos[0] += 4;
                default -> throw new IllegalArgumentException("unsupported protobuf wire type in field " + number);
            }
        }
        return out;
    }

    private static long varint(byte[] data, int[] pos) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = data[pos[0]++];
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IllegalArgumentException("malformed varint");
    }
}
