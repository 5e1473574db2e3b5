package io.fhirlink.proxy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Streams a response body while replacing the upstream base URL with the gateway's, so Bundle links, fullUrls and
 * the CapabilityStatement's implementation.url point at the gateway. Works a chunk at a time: matches are found with
 * a Boyer-Moore-Horspool scan (it looks at a fraction of the bytes: a 200 MB search is mostly not URLs), the runs
 * between them are copied whole, and only a possible match cut off at the end of a chunk waits for the next one. Large search results pass without being held whole. A match counts only when the
 * next byte cannot continue a host name ({@code https://a.example} must not rewrite {@code https://a.example.org}).
 */
public final class UrlRewritingInputStream extends FilterInputStream {

    private static final int CHUNK_BYTES = 64 * 1024;

    private final byte[] from;
    private final byte[] to;
    private final int[] shifts;
    /** Source bytes read but not yet decided, {@code [0, pendingLength)}: at most a pattern's length between reads. */
    private final byte[] pending;
    private int pendingLength;
    /** Decided bytes waiting to be handed out. */
    private byte[] out = new byte[CHUNK_BYTES + CHUNK_BYTES / 4];
    private int outStart;
    private int outEnd;
    private boolean sourceDone;

    public UrlRewritingInputStream(InputStream in, byte[] from, byte[] to) {
        super(in);
        if (from.length == 0) {
            throw new IllegalArgumentException("empty pattern");
        }
        this.from = from;
        this.to = to;
        this.shifts = shifts(from);
        this.pending = new byte[CHUNK_BYTES + from.length];
    }

    /** The same rewrite for a body already in memory; returns the input itself when nothing matches. */
    public static byte[] rewrite(byte[] body, byte[] from, byte[] to) {
        int[] shifts = shifts(from);
        if (indexOf(body, body.length, from, shifts, 0) < 0) {
            return body;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(body.length + Math.max(0, 16 * (to.length - from.length)));
        rewriteDecided(body, body.length, from, to, shifts, true, out::write);
        return out.toByteArray();
    }

    /** Where rewritten bytes go. */
    private interface Output {
        void write(byte[] bytes, int offset, int length);
    }

    /**
     * Writes {@code bytes[0, length)} to {@code out} with every match replaced, as far as it is decided, and returns
     * where the undecided rest begins ({@code length} if none): a whole match whose next byte has not arrived, or a
     * prefix of the pattern at the end. At the end of the body everything is decided.
     */
    private static int rewriteDecided(byte[] bytes, int length, byte[] from, byte[] to, int[] shifts, boolean atEnd,
            Output out) {
        int copied = 0;
        int match = indexOf(bytes, length, from, shifts, 0);
        while (match >= 0) {
            int after = match + from.length;
            if (after == length && !atEnd) {
                break; // the next byte decides whether the host name goes on
            }
            if (after < length && continuesHost(bytes[after])) {
                match = indexOf(bytes, length, from, shifts, match + 1);
                continue;
            }
            out.write(bytes, copied, match - copied);
            out.write(to, 0, to.length);
            copied = after;
            match = indexOf(bytes, length, from, shifts, after);
        }
        int undecided = match >= 0 ? match : atEnd ? length : prefixAtEnd(bytes, length, from, copied);
        out.write(bytes, copied, undecided - copied);
        return undecided;
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

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (outStart == outEnd) {
            if (!fill()) {
                return -1;
            }
        }
        int n = Math.min(len, outEnd - outStart);
        System.arraycopy(out, outStart, b, off, n);
        outStart += n;
        return n;
    }

    /** Reads one chunk from the source behind the undecided bytes and decides what it can; false once all is out. */
    private boolean fill() throws IOException {
        outStart = 0;
        outEnd = 0;
        if (sourceDone) {
            return false;
        }
        int n = in.read(pending, pendingLength, pending.length - pendingLength);
        if (n < 0) {
            sourceDone = true;
            decide(true);
            return outEnd > 0;
        }
        pendingLength += n;
        decide(false);
        return true;
    }

    /** Moves every decided pending byte to {@code out}, rewritten; the undecided rest moves to the front. */
    private void decide(boolean atEnd) {
        int undecided = rewriteDecided(pending, pendingLength, from, to, shifts, atEnd, this::emit);
        System.arraycopy(pending, undecided, pending, 0, pendingLength - undecided);
        pendingLength -= undecided;
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

    private void emit(byte[] bytes, int offset, int length) {
        if (outEnd + length > out.length) {
            out = Arrays.copyOf(out, Math.max(out.length * 2, outEnd + length));
        }
        System.arraycopy(bytes, offset, out, outEnd, length);
        outEnd += length;
    }

    private static boolean continuesHost(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '-' || b == ':';
    }

    @Override
    public int available() {
        return outEnd - outStart;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        byte[] sink = new byte[4096];
        while (skipped < n) {
            int r = read(sink, 0, (int) Math.min(sink.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
