package io.fhirlink.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import java.util.Arrays;

/**
 * Replaces the upstream base URL with the gateway's in a response body, so Bundle links, fullUrls and the
 * CapabilityStatement's implementation.url point at the gateway. A body in memory is rewritten at once
 * ({@link #rewrite}); a streamed body a chunk at a time ({@link #next}, then {@link #end}), each chunk decided as far
 * as it can be: only a possible match cut off at the end of a chunk waits for the next one, so a 200 MB search passes
 * in constant memory. Matches are found with a Boyer-Moore-Horspool scan (it looks at a fraction of the bytes: a
 * large search is mostly not URLs), the runs between them are copied whole. A match counts only when the next byte
 * cannot continue a host name ({@code https://a.example} must not rewrite {@code https://a.example.org}).
 */
public final class UrlRewriter {

    private final byte[] from;
    private final byte[] to;
    private final int[] shifts;
    /** Source bytes received but not yet decided: at most a pattern's length between chunks. */
    private final byte[] pending;
    private int pendingLength;

    public UrlRewriter(byte[] from, byte[] to) {
        this(from, to, shifts(checked(from)));
    }

    private UrlRewriter(byte[] from, byte[] to, int[] shifts) {
        this.from = from;
        this.to = to;
        this.shifts = shifts;
        this.pending = new byte[from.length];
    }

    /**
     * One rewrite (upstream base to gateway base) prepared once: its bytes and scan table are the same for every call
     * of a link through one public base, so a small answer's rewrite allocates nothing unless it has a match.
     */
    public static final class Pattern {
        private final byte[] from;
        private final byte[] to;
        private final int[] shifts;

        public Pattern(byte[] from, byte[] to) {
            this.from = checked(from);
            this.to = to;
            this.shifts = shifts(from);
        }

        /** {@link UrlRewriter#rewrite(byte[], byte[], byte[])} with this pattern. */
        public byte[] rewrite(byte[] body) {
            return UrlRewriter.rewrite(body, from, to, shifts);
        }

        /** A rewriter for one streamed body. */
        public UrlRewriter streaming() {
            return new UrlRewriter(from, to, shifts);
        }
    }

    private static byte[] checked(byte[] from) {
        if (from.length == 0) {
            throw new IllegalArgumentException("empty pattern");
        }
        return from;
    }

    /** The same rewrite for a body already in memory; returns the input itself when nothing matches. */
    public static byte[] rewrite(byte[] body, byte[] from, byte[] to) {
        return rewrite(body, from, to, shifts(from));
    }

    private static byte[] rewrite(byte[] body, byte[] from, byte[] to, int[] shifts) {
        Matches matches = new Matches();
        matches.scan(body, 0, body.length, from, shifts, true);
        return matches.count == 0 ? body : matches.rewritten(body, 0, body.length, from, to);
    }

    /** The rewritten bytes of the next chunk that are decided; the rest waits for the next chunk or the end. */
    public Buffer next(Buffer chunk) {
        if (pendingLength == 0) {
            ByteBuf bytes = chunk.getByteBuf();
            if (bytes.hasArray()) {
                // scanned where it lies: a chunk without a URL goes on as it came, not copied
                int begin = bytes.arrayOffset() + bytes.readerIndex();
                return decide(chunk, bytes.array(), begin, begin + bytes.readableBytes(), false);
            }
        }
        byte[] bytes = Arrays.copyOf(pending, pendingLength + chunk.length());
        chunk.getBytes(bytes, pendingLength);
        return decide(null, bytes, 0, bytes.length, false);
    }

    /** Whatever is still held back, decided now that the body is complete. */
    public Buffer end() {
        return decide(null, Arrays.copyOf(pending, pendingLength), 0, pendingLength, true);
    }

    /** Decides {@code bytes[begin, end)}; {@code chunk}, when not null, is those bytes as a buffer to pass on as is. */
    private Buffer decide(Buffer chunk, byte[] bytes, int begin, int end, boolean atEnd) {
        Matches matches = new Matches();
        int undecided = matches.scan(bytes, begin, end, from, shifts, atEnd);
        Buffer out;
        if (matches.count > 0) {
            out = Buffer.buffer(Unpooled.wrappedBuffer(matches.rewritten(bytes, begin, undecided, from, to)));
        } else if (chunk != null) {
            out = undecided == end ? chunk : chunk.slice(0, undecided - begin);
        } else {
            out = Buffer.buffer(Unpooled.wrappedBuffer(bytes, begin, undecided - begin));
        }
        pendingLength = end - undecided;
        System.arraycopy(bytes, undecided, pending, 0, pendingLength);
        return out;
    }

    /** Where the pattern occurs in a stretch of bytes, as far as that is decided. */
    private static final class Matches {
        private int[] at;
        private int count;

        /**
         * Finds the matches in {@code bytes[begin, end)} and returns where the undecided rest begins ({@code end} if
         * none): a whole match whose next byte has not arrived, or a prefix of the pattern at the end. At the end of
         * the body everything is decided.
         */
        int scan(byte[] bytes, int begin, int end, byte[] from, int[] shifts, boolean atEnd) {
            int decidedTo = begin;
            int match = indexOf(bytes, end, from, shifts, begin);
            while (match >= 0) {
                int after = match + from.length;
                if (after == end && !atEnd) {
                    return match; // the next byte decides whether the host name goes on
                }
                if (after < end && continuesHost(bytes[after])) {
                    match = indexOf(bytes, end, from, shifts, match + 1);
                    continue;
                }
                if (at == null) {
                    at = new int[64];
                } else if (count == at.length) {
                    at = Arrays.copyOf(at, count * 2);
                }
                at[count++] = match;
                decidedTo = after;
                match = indexOf(bytes, end, from, shifts, after);
            }
            return atEnd ? end : prefixAtEnd(bytes, end, from, decidedTo);
        }

        /** {@code bytes[begin, upTo)} with every match replaced, in one array of the final size. */
        byte[] rewritten(byte[] bytes, int begin, int upTo, byte[] from, byte[] to) {
            byte[] out = new byte[upTo - begin + count * (to.length - from.length)];
            int read = begin;
            int written = 0;
            for (int i = 0; i < count; i++) {
                int run = at[i] - read;
                System.arraycopy(bytes, read, out, written, run);
                System.arraycopy(to, 0, out, written + run, to.length);
                written += run + to.length;
                read = at[i] + from.length;
            }
            System.arraycopy(bytes, read, out, written, upTo - read);
            return out;
        }
    }

    /** For each byte value: how far the scan may move when that byte is under the pattern's last position. */
    private static int[] shifts(byte[] pattern) {
        int[] shifts = new int[256];
        Arrays.fill(shifts, pattern.length);
        for (int i = 0; i < pattern.length - 1; i++) {
            shifts[pattern[i] & 0xff] = pattern.length - 1 - i;
        }
        return shifts;
    }

    /** The first whole occurrence of the pattern in {@code bytes[start, length)}, or -1 (Boyer-Moore-Horspool). */
    private static int indexOf(byte[] bytes, int length, byte[] pattern, int[] shifts, int start) {
        int lastIndex = pattern.length - 1;
        byte last = pattern[lastIndex];
        for (int end = start + lastIndex; end < length; end += shifts[bytes[end] & 0xff]) {
            if (bytes[end] == last) {
                int begin = end - lastIndex;
                int k = 0;
                while (k < lastIndex && bytes[begin + k] == pattern[k]) {
                    k++;
                }
                if (k == lastIndex) {
                    return begin;
                }
            }
        }
        return -1;
    }

    /** Where a prefix of the pattern starts that runs to {@code length}, or {@code length} if none does. */
    private static int prefixAtEnd(byte[] bytes, int length, byte[] pattern, int start) {
        for (int p = Math.max(start, length - pattern.length + 1); p < length; p++) {
            if (Arrays.equals(bytes, p, length, pattern, 0, length - p)) {
                return p;
            }
        }
        return length;
    }

    private static boolean continuesHost(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '-' || b == ':';
    }
}
