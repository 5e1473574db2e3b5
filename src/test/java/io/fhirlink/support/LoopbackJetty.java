package io.fhirlink.support;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;
import java.io.IOException;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** Jetty serving one servlet behind one filter over HTTPS with the test certificate, on a free port of 127.0.0.1. */
final class LoopbackJetty implements AutoCloseable {

    private final Server jetty;
    private final ServerConnector connector;

    /** Binds the port at once: the filter and servlet may need the base URL before they serve. */
    LoopbackJetty(String threadName) throws IOException {
        // Daemon threads so a forgotten close() cannot hang the test JVM; enough of them for load tests.
        QueuedThreadPool threads = new QueuedThreadPool(256, 8);
        threads.setName(threadName);
        threads.setDaemon(true);
        jetty = new Server(threads);

        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setSslContext(TestCertificates.serverSslContext());
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // Jetty's own Date header came out twice on HAPI's error answers; the front door sets one instead.
        http.setSendDateHeader(false);
        // Marks requests secure (so HAPI sees https); SNI checks off since clients dial an IP.
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        connector = new ServerConnector(jetty,
                new SslConnectionFactory(tls, HttpVersion.HTTP_1_1.asString()), new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        connector.open();
    }

    /** {@code https://127.0.0.1:{port}}, no trailing slash. */
    String baseUrl() {
        return "https://127.0.0.1:" + connector.getLocalPort();
    }

    void serve(Filter filter, Servlet servlet) throws Exception {
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(servlet), "/*");
        jetty.setHandler(context);
        jetty.start();
    }

    @Override
    public void close() {
        try {
            jetty.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
