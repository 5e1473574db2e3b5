package io.fhirlink.ops;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A request's W3C trace context (https://www.w3.org/TR/trace-context/): the caller's, when its {@code traceparent}
 * is well-formed, else a new trace. The access log names its trace id; the upstream call carries it on, with the
 * caller's {@code tracestate} only when the caller's trace is continued.
 *
 * @param traceId    32 lower-case hex digits, not all zero
 * @param parentId   the caller's span id (16 hex digits), or null for a trace the gateway started
 * @param flags      two hex digits (01 = sampled)
 * @param traceState the caller's tracestate, or null
 */
public record TraceContext(String traceId, String parentId, String flags, String traceState) {

    /** Exchange property with the request's trace context. */
    public static final String PROPERTY = "fhirlink.traceContext";

    private static final int MAX_TRACESTATE_CHARS = 512;

    /** The caller's context from its headers (each a String or a List of them), or a new trace. */
    public static TraceContext fromHeaders(Object traceparent, Object tracestate) {
        String parent = single(traceparent);
        if (parent == null || !wellFormed(parent)) {
            return started();
        }
        return new TraceContext(parent.substring(3, 35), parent.substring(36, 52), parent.substring(53, 55),
                traceState(tracestate));
    }

    /** A new trace: random ids, not sampled (nothing records it here unless tracing exports). */
    public static TraceContext started() {
        return new TraceContext(hex(16), null, "00", null);
    }

    /** The {@code traceparent} of a call the gateway makes within this trace, with {@code spanId} as its parent-id. */
    public String traceparentFor(String spanId) {
        return "00-" + traceId + "-" + spanId + "-" + flags;
    }

    /** A fresh span id for a call made while no tracer records the gateway's own spans. */
    public static String newSpanId() {
        return hex(8);
    }

    /**
     * {@code version-traceid-parentid-flags}: version 00 is exactly 55 characters; a later version (not ff) may add
     * fields after the flags; lower-case hex only; neither id all zeros.
     */
    static boolean wellFormed(String value) {
        int length = value.length();
        if (length < 55 || value.charAt(2) != '-' || value.charAt(35) != '-' || value.charAt(52) != '-') {
            return false;
        }
        if (!hex(value, 0, 2) || value.startsWith("ff")) {
            return false;
        }
        if (value.startsWith("00") ? length != 55 : length > 55 && value.charAt(55) != '-') {
            return false;
        }
        return hex(value, 3, 35) && hex(value, 36, 52) && hex(value, 53, 55)
                && !zeros(value, 3, 35) && !zeros(value, 36, 52);
    }

    /** Several tracestate headers are one list; an over-long or non-printable one is dropped, not forwarded. */
    private static String traceState(Object header) {
        String value;
        if (header instanceof List<?> values) {
            value = String.join(",", values.stream().map(String::valueOf).toList());
        } else {
            value = header == null ? null : header.toString();
        }
        if (value == null || value.isBlank() || value.length() > MAX_TRACESTATE_CHARS) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return null;
            }
        }
        return value.trim();
    }

    /** A repeated traceparent is ambiguous: invalid, so a new trace starts. */
    private static String single(Object header) {
        if (header instanceof List<?> values) {
            return values.size() == 1 ? String.valueOf(values.get(0)) : null;
        }
        return header == null ? null : header.toString().trim();
    }

    private static boolean hex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private static String hex(int bytes) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] out = new char[bytes * 2];
        boolean zero = true;
        for (int i = 0; i < out.length; i++) {
            int d = random.nextInt(16);
            zero &= d == 0;
            out[i] = DIGITS[d];
        }
        if (zero) {
            out[out.length - 1] = '1'; // an all-zero id is invalid
        }
        return new String(out);
    }
}
