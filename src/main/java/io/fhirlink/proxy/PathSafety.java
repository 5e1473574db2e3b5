package io.fhirlink.proxy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Whether a raw request path could step outside where it points: dot segments (in any percent-encoding, double
 * encodings included), empty segments ({@code //host}), backslashes, encoded slashes and control characters.
 */
public final class PathSafety {

    /** Why a path is refused, as the caller reads it (the guard's and the parser's 400). */
    static final String REFUSED = "The request path is not allowed: it may not contain '.' or '..' segments, '//', "
            + "backslashes or encoded slashes.";

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
            if (hasDotSegment(next) || hasLookAlike(next)) {
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

    /**
     * A segment between slashes or backslashes that some server reads as "." or "..": dots only ({@code ...} is
     * {@code ..} once Windows drops trailing dots), dots with trailing spaces ({@code ".. "}), or dots with path
     * parameters ({@code ..;x}, which Tomcat-style servers read as {@code ..}).
     */
    private static boolean hasDotSegment(String path) {
        int start = 0;
        for (int i = 0; i <= path.length(); i++) {
            if (i == path.length() || path.charAt(i) == '/' || path.charAt(i) == '\\') {
                if (isDotSegment(path, start, i)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    private static boolean isDotSegment(String path, int start, int end) {
        boolean dot = false;
        for (int i = start; i < end; i++) {
            char c = path.charAt(i);
            if (c == ';') {
                break; // path parameters: what comes before them is the segment
            }
            if (c == '.') {
                dot = true;
            } else if (c != ' ' && c != '\t') {
                return false;
            }
        }
        return dot;
    }

    /**
     * Characters some servers fold to '.', '/' or '\\' (Unicode normalisation), and U+FFFD, which stands for bytes
     * that are not UTF-8 (the overlong {@code %c0%ae} that lenient decoders read as '.'): never needed in a FHIR path.
     */
    private static boolean hasLookAlike(String decoded) {
        for (int i = 0; i < decoded.length(); i++) {
            switch (decoded.charAt(i)) {
                case '\uFF0E', '\uFF0F', '\uFF3C', '\u2024', '\u2215', '\u2044', '\uFE52', '\uFE68', '\u2216', '\u29F5',
                        '\u29F8', '\u29F9', '\uFFFD' -> {
                    return true;
                }
                default -> {
                }
            }
        }
        return false;
    }
}
