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
            for (String segment : next.split("[/\\\\]", -1)) {
                if (segment.equals("..") || segment.equals(".")) {
                    return false;
                }
            }
            if (next.equals(decoded)) {
                return true;
            }
            decoded = next;
        }
        return false;
    }
}
