package io.fhirlink.support;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.ByteArrayInputStream;

/** A request body already read into memory, served again to HAPI as the container's stream would be. */
final class CachedBodyInputStream extends ServletInputStream {

    private final ByteArrayInputStream in;

    CachedBodyInputStream(byte[] body) {
        in = new ByteArrayInputStream(body);
    }

    @Override
    public int read() {
        return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) {
        return in.read(b, off, len);
    }

    @Override
    public boolean isFinished() {
        return in.available() == 0;
    }

    @Override
    public boolean isReady() {
        return true;
    }

    @Override
    public void setReadListener(ReadListener listener) {
        throw new UnsupportedOperationException("blocking reads only");
    }
}
