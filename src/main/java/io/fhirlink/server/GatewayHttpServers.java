package io.fhirlink.server;

import io.fhirlink.config.Settings;
import io.fhirlink.ops.JolokiaBasicAuth;
import io.vertx.core.http.HttpServerOptions;
import java.util.Optional;
import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.component.platform.http.main.DefaultMainHttpServerFactory;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.HttpServerConfigurationProperties;
import org.apache.camel.main.MainHttpServerFactory;

/**
 * The servers camel-main starts ({@code camel.server.*}, {@code camel.management.*}): the public port becomes a
 * {@link PublicHttpServer} on every event loop; the management port stays Camel's own, with basic auth in front of
 * Jolokia when FHIRLINK_JOLOKIA_USER is set.
 */
public final class GatewayHttpServers implements MainHttpServerFactory {

    private final Settings settings;
    private final DefaultMainHttpServerFactory camelServers = new DefaultMainHttpServerFactory();
    private final Optional<JolokiaBasicAuth> jolokiaAuth;

    public GatewayHttpServers(Settings settings) {
        this.settings = settings;
        this.jolokiaAuth = settings.jolokiaEnabled() && settings.jolokiaUser().isPresent()
                ? Optional.of(new JolokiaBasicAuth(settings.jolokiaUser().get(), settings.jolokiaPassword().get()))
                : Optional.empty();
    }

    @Override
    public Service newHttpServer(CamelContext camel, HttpServerConfigurationProperties properties) {
        VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
        configuration.setBindHost(properties.getHost());
        configuration.setBindPort(properties.getPort());
        configuration.setPath(properties.getPath());
        configuration.setMaxBodySize(properties.getMaxBodySize());
        configuration.getBodyHandler().setHandleFileUploads(properties.isFileUploadEnabled());
        configuration.setServerType(VertxPlatformHttpRouter.SERVER_TYPE_SERVER);
        // platform-http's engines find the public port's router through this (the server itself holds no HttpServer
        // of Camel's kind they could ask)
        camel.getRegistry().bind("publicHttpServerConfiguration", configuration);
        PublicHttpServer server = new PublicHttpServer(configuration, publicServerOptions(settings), settings.eventLoops(),
                settings.clientIdleTimeoutMs());
        server.setCamelContext(camel);
        return server;
    }

    /**
     * The public port's connections: HTTP/1.1 (HTTP/2 is a front proxy's business). Without h2c Vert.x builds each
     * connection's pipeline as it accepts it, before a byte is read, which is where {@link CallerConnections}
     * adjusts it. No Vert.x idle timeout: it would also cut a caller waiting for a slow answer (a registration probe,
     * a long FHIR operation); the request-head timeout bounds the time a connection may sit without a request
     * instead. gzip (or deflate) for callers whose Accept-Encoding allows it, applied by Vert.x as the bytes leave,
     * so after the URL rewrite and for streamed answers too; which answers stay plain is {@link AnswerCompression}'s
     * rule.
     */
    static HttpServerOptions publicServerOptions(Settings settings) {
        HttpServerOptions options = new HttpServerOptions().setHttp2ClearTextEnabled(false);
        if (settings.compressionLevel() > 0) {
            options.setCompressionSupported(true).setCompressionLevel(settings.compressionLevel());
        }
        return options;
    }

    @Override
    public Service newHttpManagementServer(CamelContext camel, HttpManagementServerConfigurationProperties properties) {
        camelServers.setCamelContext(camel);
        Service server = camelServers.newHttpManagementServer(camel, properties);
        return jolokiaAuth.map(auth -> auth.protect(server, properties)).orElse(server);
    }
}
