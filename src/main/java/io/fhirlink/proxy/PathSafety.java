package io.fhirlink.proxy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Whether a raw request path could step outside where it points: dot segments (in any percent-encoding, double
 * encodings included), empty segments ({@code //host}), backslashes, encoded slashes and control characters.
 */
public final class PathSafety {

    private PathSafety() {
    }

    public static boolean isSafe(String rawPath) {
        if (isPlain(rawPath)) {
            return !hasDotSegment(rawPath); // the common case, decided without decoding or allocating
        }
        String lower = rawPath.toLowerCase(Locale.ROOT);
        if (lower.contains("\\") || lower.contains("%5c") || lower.contains("%2f") || lower.contains("%00")
                || lower.contains("//") || lower.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return false;
        }
        String decoded = rawPath;
        // Decode repeatedly so double-encoded dots (%252e) are seen for what a lenient hop would make of them.
        for (int i = 0; i < 3; i++) {
            String next;
            try {
                next = URLDecoder.decode(decoded.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return false; // malformed percent-encoding
            }
            if (hasDotSegment(next)) {
                return false;
            }
            if (next.equals(decoded)) {
                return true;
            }
            decoded = next;
        }
        return false;
    }

    /** Only characters that need no decoding and hide nothing: letters, digits, {@code / - _ . $ ~ : @ , = + !}. */
    private static boolean isPlain(String path) {
        char previous = 0;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "/-_.$~:@,=+!".indexOf(c) >= 0;
            if (!plain || c == '/' && previous == '/') {
                return false;
            }
            previous = c;
        }
        return true;
    }

    /** A "." or ".." segment between slashes or backslashes, also with path parameters ({@code ..;x}). */
    private static boolean hasDotSegment(String path) {
        int start = 0;
        int paramsAt = -1;
        for (int i = 0; i <= path.length(); i++) {
            if (i < path.length() && path.charAt(i) == ';' && paramsAt < 0) {
                paramsAt = i;
            }
            if (i == path.length() || path.charAt(i) == '/' || path.charAt(i) == '\\') {
                int length = (paramsAt >= 0 ? paramsAt : i) - start;
                paramsAt = -1;
                if (length == 1 && path.charAt(start) == '.' || length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.') {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }
}
