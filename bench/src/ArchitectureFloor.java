import io.fhirlink.config.Settings;
import io.fhirlink.proxy.EventLoopHttpEngine;
import io.fhirlink.server.GatewayHttpServers;
import io.fhirlink.upstream.OutboundTls;
import io.fhirlink.upstream.UpstreamConnections;
import io.fhirlink.upstream.UpstreamHttpClient;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.main.Main;
import org.apache.camel.support.AsyncProcessorHelper;

/**
 * What the architecture itself costs, without any of fhir-link's work: the floor under the gateway's figures.
 *
 * <p>Two servers in one JVM, started with the same options as the gateway:
 * <ul>
 *   <li>Camel, configured like fhir-link (camel-main, platform-http-vertx in, camel-http out through the same shared
 *       pool, JMX on, no stream caching), with these routes and nothing else: {@code /floor/constant} answers a
 *       fixed 1 KB Patient; {@code /floor/forward} is {@code platform-http → https} to the upstream's Patient with
 *       {@code bridgeEndpoint} and no processor between ({@code /floor/forward-search}: the same for the 50 KB search
 *       page, passed on unchanged like nginx does); {@code /floor/async-forward} is platform-http → an async
 *       processor over a non-blocking Vert.x HttpClient; {@code /floor/event-loop-forward} is the same processor on
 *       fhir-link's own engine (the route runs on the event loop, the public port on every event loop), the route
 *       fhir-link's proxy runs on with none of fhir-link's steps;</li>
 *   <li>plain Vert.x (no Camel), all on the event loop: {@code /constant}, {@code /forward} and
 *       {@code /forward-search} through a pooled Vert.x HttpClient.</li>
 * </ul>
 *
 * <p>Usage: {@code java ArchitectureFloor <camel-port> <vertx-port> <upstream-base> <upstream-pem>}. The FHIRLINK_*
 * variables of the gateway (truststore, private addresses) apply to the Camel side's connection pool.
 */
public final class ArchitectureFloor {

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ArchitectureFloor <camel-port> <vertx-port> <upstream-base> <upstream-pem>");
            System.exit(2);
        }
        int camelPort = Integer.parseInt(args[0]);
        int vertxPort = Integer.parseInt(args[1]);
        URI upstream = URI.create(args[2]);
        String patient = Files.readString(Path.of(args[3]).resolveSibling("docroot/patient-1.json"));

        HttpClientOptions upstreamOptions = new HttpClientOptions()
                .setSsl(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(args[3]))
                .setDefaultHost(upstream.getHost())
                .setDefaultPort(upstream.getPort())
                .setKeepAlive(true);
        // the gateway's transport (epoll where it loads), for the plain Vert.x servers and Camel's platform-http alike
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Runtime.getRuntime().availableProcessors())
                .setPreferNativeTransport(true));
        startPlainVertx(vertx, vertx.createHttpClient(upstreamOptions, new PoolOptions().setHttp1MaxSize(200)), vertxPort, patient);

        Settings settings = Settings.fromEnvironment();
        Main camel = new Main();
        // not fhir-link's application.properties (its routes and management server): only what is set here
        camel.setDefaultPropertyPlaceholderLocation("false");
        Properties p = new Properties();
        p.put("camel.main.name", "architecture-floor");
        p.put("camel.main.routes-include-pattern", "false");
        p.put("camel.main.stream-caching-enabled", "false");
        p.put("camel.main.jmx-enabled", "true");
        p.put("camel.server.enabled", "true");
        p.put("camel.server.host", "127.0.0.1");
        p.put("camel.server.port", Integer.toString(camelPort));
        p.put("camel.component.https.http-client-configurer", "#bean:upstreamHttpClient");
        p.put("camel.component.https.client-connection-manager", "#bean:upstreamConnections");
        p.put("camel.component.https.content-compression-disabled", "true");
        camel.setOverrideProperties(p);
        camel.bind("vertx", vertx);
        camel.bind("upstreamHttpClient", new UpstreamHttpClient());
        // fhir-link's public server (every event loop) and its proxy engine
        camel.bind("gatewayHttpServers", new GatewayHttpServers(settings));
        EventLoopHttpEngine engine = new EventLoopHttpEngine();
        camel.configure().addConfiguration(new CamelConfiguration() {
            @Override
            public void configure(CamelContext context) {
                engine.setCamelContext(context);
                context.getRegistry().bind("eventLoopHttpEngine", engine);
            }
        });
        camel.bind("upstreamConnections",
                UpstreamConnections.create(settings, OutboundTls.fromSettings(settings).sslContext()));
        camel.configure().addRoutesBuilder(new RouteBuilder() {
            @Override
            public void configure() {
                from("platform-http:/floor/constant").routeId("floor-constant")
                        .setHeader("Content-Type", constant("application/fhir+json"))
                        .setBody(constant(patient));
                from("platform-http:/floor/forward").routeId("floor-forward")
                        .removeHeaders("CamelHttp*")
                        .to(upstream + "/Patient/bench-1?bridgeEndpoint=true&throwExceptionOnFailure=false"
                                + "&disableStreamCache=true&copyHeaders=false");
                // the 50 KB search page, passed on as it comes (no URL rewrite, like nginx)
                from("platform-http:/floor/forward-search").routeId("floor-forward-search")
                        .removeHeaders("CamelHttp*")
                        .to(upstream + "/Observation?bridgeEndpoint=true&throwExceptionOnFailure=false"
                                + "&disableStreamCache=true&copyHeaders=false");
                from("platform-http:/floor/async-forward").routeId("floor-async-forward")
                        .process(new VertxForward(upstreamOptions));
                from("platform-http:/floor/event-loop-forward?platformHttpEngine=#eventLoopHttpEngine&useBodyHandler=false")
                        .routeId("floor-event-loop-forward")
                        .process(new VertxForward(upstreamOptions));
            }
        });
        System.out.println("architecture floor: camel on " + camelPort + ", plain vert.x on " + vertxPort);
        camel.run();
    }

    /**
     * The upstream call as a Camel async processor over a non-blocking Vert.x client on platform-http's own Vert.x: the
     * call runs on the event loop of the caller's connection, the route's worker waits for it, no socket blocks.
     */
    private static final class VertxForward implements AsyncProcessor {
        private final HttpClientOptions options;
        private volatile HttpClient client;

        VertxForward(HttpClientOptions options) {
            this.options = options;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            // on Camel's engine the worker runs inside platform-http's executeBlocking, whose current context is the
            // caller connection's; on fhir-link's engine this already is that event loop
            Context context = Vertx.currentContext();
            HttpClient http = client(context.owner());
            context.runOnContext(v -> http.request(HttpMethod.GET, "/Patient/bench-1")
                    .compose(request -> request.send())
                    .compose(answer -> answer.body().map(body -> {
                        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, answer.statusCode());
                        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, answer.getHeader("Content-Type"));
                        exchange.getMessage().setBody(body.getBytes());
                        return body;
                    }))
                    .onComplete(done -> {
                        if (done.failed()) {
                            exchange.setException(done.cause());
                        }
                        callback.done(false);
                    }));
            return false;
        }

        private HttpClient client(Vertx vertx) {
            if (client == null) {
                synchronized (this) {
                    if (client == null) {
                        client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(200));
                    }
                }
            }
            return client;
        }

        @Override
        public void process(Exchange exchange) throws Exception {
            AsyncProcessorHelper.process(this, exchange);
        }

        @Override
        public CompletableFuture<Exchange> processAsync(Exchange exchange) {
            CompletableFuture<Exchange> future = new CompletableFuture<>();
            process(exchange, doneSync -> future.complete(exchange));
            return future;
        }
    }

    private static void startPlainVertx(Vertx vertx, HttpClient client, int port, String patient) {
        Buffer constantBody = Buffer.buffer(patient.getBytes(StandardCharsets.UTF_8));
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                .requestHandler(request -> {
                    if (request.path().equals("/constant")) {
                        request.response().putHeader("Content-Type", "application/fhir+json").end(constantBody);
                        return;
                    }
                    client.request(HttpMethod.GET, request.path().equals("/forward-search") ? "/Observation" : "/Patient/bench-1")
                            .compose(upstreamRequest -> upstreamRequest.send())
                            .onSuccess(answer -> {
                                request.response().setStatusCode(answer.statusCode())
                                        .putHeader("Content-Type", answer.getHeader("Content-Type"));
                                answer.body().onSuccess(body -> request.response().end(body))
                                        .onFailure(e -> request.response().setStatusCode(502).end());
                            })
                            .onFailure(e -> request.response().setStatusCode(502).end());
                })
                .listen();
    }
}
