package io.fhirlink.server;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public port (API and FHIR proxy), served from {@code FHIRLINK_EVENT_LOOPS} event loops. Camel's own server
 * listens with one Vert.x {@code HttpServer}, which puts every connection on one event-loop thread; this one starts
 * as many listeners on the same host and port as there are event loops, all with Camel's router (Vert.x shares the
 * socket among them and hands each new connection to the next). Everything else, the router and its body handler
 * included, is Camel's.
 */
final class PublicHttpServer extends VertxPlatformHttpServer {

    private static final Logger LOG = LoggerFactory.getLogger(PublicHttpServer.class);

    private final VertxPlatformHttpServerConfiguration configuration;
    private final HttpServerOptions options;
    private final int listeners;
    private final long requestHeadTimeoutMs;
    private String deployment;

    PublicHttpServer(VertxPlatformHttpServerConfiguration configuration, HttpServerOptions options, int listeners,
            long requestHeadTimeoutMs) {
        super(configuration);
        this.configuration = configuration;
        this.options = options;
        this.listeners = listeners;
        this.requestHeadTimeoutMs = requestHeadTimeoutMs;
    }

    @Override
    protected void startServer() throws Exception {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(getCamelContext(),
                VertxPlatformHttpRouter.getRouterNameFromPort(configuration.getBindPort()));
        Vertx vertx = getVertx();
        int port = configuration.getBindPort();
        String host = configuration.getBindHost();
        // each verticle instance has an event loop of its own; its listener joins the socket the first one bound
        deployment = vertx.deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start(Promise<Void> started) {
                vertx.createHttpServer(options)
                        .connectionHandler(connection -> CallerConnections.configure(connection, options, requestHeadTimeoutMs))
                        .requestHandler(router).listen(port, host)
                        .<Void>mapEmpty().onComplete(started);
            }
        }, new DeploymentOptions().setInstances(port == 0 ? 1 : listeners)) // port 0: each would bind another port
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        LOG.info("fhir-link listens on {}:{} with {} event loops", host, port, listeners);
    }

    @Override
    protected void stopServer() {
        if (deployment != null) {
            try {
                getVertx().undeploy(deployment).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("public listeners did not stop cleanly: {}", e.getMessage());
            } finally {
                deployment = null;
            }
        }
    }
}
