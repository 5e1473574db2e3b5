package io.fhirlink.proxy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Streams a response body while replacing the upstream base URL with the gateway's, so Bundle links, fullUrls and
 * the CapabilityStatement's implementation.url point at the gateway. Works on bytes through a window of the
 * pattern's length: large search results pass without being held whole. A match counts only when the next byte
 * cannot continue a host name ({@code https://a.example} must not rewrite {@code https://a.example.org}).
 */
public final class UrlRewritingInputStream extends FilterInputStream {

    private final byte[] from;
    private final byte[] to;
    private final byte[] chunk = new byte[64 * 1024];
    /** Bytes read but not yet decided: they may be the start of a match. */
    private final byte[] window;
    private int windowLength;
    /** Decided bytes waiting to be handed out. */
    private byte[] out = new byte[80 * 1024];
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
        this.window = new byte[from.length + 1];
    }

    /** The same rewrite for a body already in memory; returns the input itself when nothing matches. */
    public static byte[] rewrite(byte[] body, byte[] from, byte[] to) {
        int match = indexOf(body, from, 0);
        if (match < 0) {
            return body;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(body.length + 16 * (to.length - from.length + 1));
        int copied = 0;
        while (match >= 0) {
            int after = match + from.length;
            if (after < body.length && continuesHost(body[after])) {
                match = indexOf(body, from, match + 1);
                continue;
            }
            out.write(body, copied, match - copied);
            out.write(to, 0, to.length);
            copied = after;
            match = indexOf(body, from, after);
        }
        out.write(body, copied, body.length - copied);
        return out.toByteArray();
    }

    private static int indexOf(byte[] body, byte[] pattern, int from) {
        byte first = pattern[0];
        int last = body.length - pattern.length;
        for (int i = from; i <= last; i++) {
            if (body[i] != first) {
                continue;
            }
            int k = 1;
            while (k < pattern.length && body[i + k] == pattern[k]) {
                k++;
            }
            if (k == pattern.length) {
                return i;
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

    /** Reads one chunk from the source and decides what it can; false once everything has been handed out. */
    private boolean fill() throws IOException {
        outStart = 0;
        outEnd = 0;
        if (sourceDone) {
            return false;
        }
        int n = in.read(chunk);
        if (n < 0) {
            sourceDone = true;
            drain(true);
            return outEnd > 0;
        }
        int i = 0;
        while (i < n) {
            if (windowLength == 0) {
                // nothing pending: copy everything up to the next byte that could start a match in one go
                int next = i;
                byte first = from[0];
                while (next < n && chunk[next] != first) {
                    next++;
                }
                emit(chunk, i, next - i);
                i = next;
                if (i == n) {
                    break;
                }
            }
            window[windowLength++] = chunk[i++];
            drain(false);
        }
        return true;
    }

    /** Emits bytes from the window's head that can no longer start a match, and replacements for whole matches. */
    private void drain(boolean atEnd) {
        while (windowLength > 0) {
            int matched = 0;
            while (matched < windowLength && matched < from.length && window[matched] == from[matched]) {
                matched++;
            }
            if (matched == from.length) {
                if (windowLength == from.length && !atEnd) {
                    return; // the next byte decides whether the host name goes on
                }
                if (windowLength == from.length || !continuesHost(window[from.length])) {
                    emit(to, to.length);
                    shift(from.length);
                    continue;
                }
            } else if (matched == windowLength && !atEnd) {
                return; // a prefix of the pattern so far: wait for more
            }
            emit(window, 1);
            shift(1);
        }
    }

    private void emit(byte[] bytes, int length) {
        emit(bytes, 0, length);
    }

    private void emit(byte[] bytes, int offset, int length) {
        if (outEnd + length > out.length) {
            out = Arrays.copyOf(out, Math.max(out.length * 2, outEnd + length));
        }
        System.arraycopy(bytes, offset, out, outEnd, length);
        outEnd += length;
    }

    private void shift(int n) {
        System.arraycopy(window, n, window, 0, windowLength - n);
        windowLength -= n;
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
