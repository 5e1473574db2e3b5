package io.fhirlink.support;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The JDK's HTTPS server on a free port of 127.0.0.1, with the test certificate. Requests are served on a cached pool
 * so concurrency tests really run in parallel instead of queueing behind a single dispatcher thread.
 */
final class LoopbackHttpsServer implements AutoCloseable {

    private final HttpsServer server;
    private final ExecutorService executor;

    /** Bound at once, so the port is known before anything is served. */
    LoopbackHttpsServer(String threadName) throws IOException {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        server.setHttpsConfigurator(new HttpsConfigurator(TestCertificates.serverSslContext()));
        // Daemon threads: a test that forgets close() must not keep the JVM alive.
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
    }

    /** {@code https://127.0.0.1:{port}}. */
    String origin() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    void serve(HttpHandler handler) {
        server.createContext("/", handler);
        server.start();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
