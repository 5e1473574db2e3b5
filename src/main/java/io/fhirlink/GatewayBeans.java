package io.fhirlink;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.auth.CallerAuthenticator;
import io.fhirlink.auth.LinkAccess;
import io.fhirlink.auth.PlatformApplication;
import io.fhirlink.auth.UpstreamTokens;
import io.fhirlink.auth.Workers;
import io.fhirlink.config.PublicBaseUrl;
import io.fhirlink.config.Settings;
import io.fhirlink.failure.FailureResponses;
import io.fhirlink.links.Database;
import io.fhirlink.links.LinkChangeListener;
import io.fhirlink.links.LinkDirectory;
import io.fhirlink.links.LinkRows;
import io.fhirlink.links.SecretCipher;
import io.fhirlink.management.LinkPreconditions;
import io.fhirlink.management.LinkProbes;
import io.fhirlink.management.LinkWrites;
import io.fhirlink.management.ManagementResponses;
import io.fhirlink.management.OpenApiDocument;
import io.fhirlink.management.RegistrationValidator;
import io.fhirlink.management.ServerProbe;
import io.fhirlink.ops.CredentialExpiry;
import io.fhirlink.ops.DatabaseHealthCheck;
import io.fhirlink.ops.LinkHealth;
import io.fhirlink.ops.LinkStatusWriter;
import io.fhirlink.ops.OperatorMBeans;
import io.fhirlink.ops.RequestLog;
import io.fhirlink.ops.TrafficStats;
import io.fhirlink.proxy.AnswerWriter;
import io.fhirlink.proxy.BodyBudget;
import io.fhirlink.proxy.CapabilitySecurity;
import io.fhirlink.proxy.EventLoopHttpEngine;
import io.fhirlink.proxy.FhirRequestParser;
import io.fhirlink.proxy.InflightLimits;
import io.fhirlink.proxy.ProxySteps;
import io.fhirlink.proxy.RequestBodyReader;
import io.fhirlink.proxy.UpstreamForwarder;
import io.fhirlink.proxy.UpstreamRequest;
import io.fhirlink.proxy.UpstreamResponse;
import io.fhirlink.upstream.EndpointPolicy;
import io.fhirlink.upstream.OutboundTls;
import io.fhirlink.upstream.UpstreamClients;
import io.fhirlink.upstream.UpstreamConnections;
import io.fhirlink.upstream.UpstreamHttpClient;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

/**
 * Wires the processors the YAML routes call by name ({@code bean: {ref: ...}}). Everything here is built once at
 * start-up: no client, mapper or pattern is created per request.
 */
public final class GatewayBeans implements CamelConfiguration {

    /**
     * How long a cached link is trusted without a change notification: the backstop for a notification lost while
     * this replica was subscribed (after a reconnect every cached link is dropped anyway).
     */
    static final Duration LINK_CACHE_TTL = Duration.ofMinutes(5);

    private final Settings settings;
    private final Database database;
    private final Vertx vertx;
    /** Link status times, secret expiry and the re-probe interval read it; a test may move it. */
    private final Clock clock;

    public GatewayBeans(Settings settings, Database database, Vertx vertx, Clock clock) {
        this.settings = settings;
        this.database = database;
        this.vertx = vertx;
        this.clock = clock;
    }

    @Override
    public void configure(CamelContext camel) {
        ObjectMapper json = new ObjectMapper();
        OutboundTls tls = OutboundTls.fromSettings(settings);
        SecretCipher cipher = SecretCipher.fromSettings(settings);
        LinkRows rows = new LinkRows(cipher);
        PublicBaseUrl publicBaseUrl = new PublicBaseUrl(settings);
        // link health: fed by token requests and proxied calls, written off the event loops
        LinkStatusWriter statusWriter = new LinkStatusWriter(database.dataSource());
        LinkHealth linkHealth = new LinkHealth(clock, statusWriter);
        // links with "credential": "platform" sign in as the platform's own multi-tenant application (if configured)
        Optional<PlatformApplication> platform = PlatformApplication.fromSettings(settings, clock);
        UpstreamTokens tokens = new UpstreamTokens(settings, tls.sslContext(), linkHealth, clock, platform);

        Workers workers = new Workers(vertx);
        BodyBudget bodyBudget = new BodyBudget(settings.bufferedBodyBudgetBytes());

        Registry registry = camel.getRegistry();
        registry.bind("dataSource", database.dataSource());
        // one Vert.x for both servers and the proxy's client (platform-http finds it by type)
        registry.bind("vertx", vertx);
        // the registration probe's camel-http client
        registry.bind("upstreamHttpClient", new UpstreamHttpClient());
        registry.bind("upstreamConnections", UpstreamConnections.create(settings, tls.sslContext()));
        registry.bind("failureResponses", new FailureResponses(json));
        registry.bind("callerAuthenticator", new CallerAuthenticator(settings, tls.sslContext(), workers));
        registry.bind("upstreamTokens", tokens);

        // the same reader as the proxy's, at the management API's own limit: no body is read before the caller's
        // token is checked, and none beyond 64 KiB at all (the proxy's 50 MiB would let anonymous uploads fill memory)
        registry.bind("managementBodyReader", new RequestBodyReader(RegistrationValidator.MAX_BODY_BYTES, bodyBudget));
        registry.bind("registrationValidator", new RegistrationValidator(json, new EndpointPolicy(settings), clock, platform));
        registry.bind("serverProbe", new ServerProbe(json, tokens, platform));
        registry.bind("linkWrites", new LinkWrites(cipher));
        registry.bind("managementResponses", new ManagementResponses(json, publicBaseUrl, rows, clock));
        registry.bind("linkProbes", new LinkProbes(rows, linkHealth, clock));

        // the FHIR proxy: its own engine runs the route on the event loops (fhir-proxy.camel.yaml)
        EventLoopHttpEngine proxyEngine = new EventLoopHttpEngine();
        proxyEngine.setCamelContext(camel);
        registry.bind("eventLoopHttpEngine", proxyEngine);
        registry.bind("fhirRequestParser", new FhirRequestParser());
        LinkDirectory linkDirectory = new LinkDirectory(camel.createProducerTemplate(), rows, tokens, LINK_CACHE_TTL,
                workers::run);
        registry.bind("linkDirectory", linkDirectory);
        registry.bind("linkAccess", new LinkAccess());
        registry.bind("requestBodyReader", new RequestBodyReader(settings.proxyMaxBodyBytes(), bodyBudget));
        registry.bind("inflightLimits", new InflightLimits(settings));
        registry.bind("upstreamRequest", new UpstreamRequest(tokens, settings.tracing()));
        registry.bind("upstreamForwarder", new UpstreamForwarder(vertx,
                new UpstreamClients(vertx, settings, tls.trustManager()), settings));
        registry.bind("upstreamResponse", new UpstreamResponse(publicBaseUrl));
        registry.bind("capabilitySecurity", new CapabilitySecurity(json, settings));
        registry.bind("answerWriter", new AnswerWriter());

        // operations: access log, traffic counters, JMX, readiness
        String jmxPrefix = "io.fhirlink:port=" + settings.httpPort();
        TrafficStats traffic = new TrafficStats(jmxPrefix, linkHealth);
        registry.bind("trafficStats", traffic);
        registry.bind("linkHealth", linkHealth);
        registry.bind("linkStatusWriter", statusWriter);
        addService(camel, statusWriter);
        CredentialExpiry credentialExpiry = new CredentialExpiry(database.dataSource(), clock);
        registry.bind("credentialExpiry", credentialExpiry);
        addService(camel, credentialExpiry);
        registry.bind("requestLog", new RequestLog(traffic, linkHealth));
        registry.bind("databaseHealthCheck", new DatabaseHealthCheck(database.dataSource()));
        addService(camel, new OperatorMBeans(jmxPrefix, linkDirectory, tokens, traffic));

        // link lifecycle: preconditions, the OpenAPI document, change notifications between replicas
        registry.bind("linkPreconditions", new LinkPreconditions());
        registry.bind("openApiDocument", new OpenApiDocument());
        LinkChangeListener linkChanges = new LinkChangeListener(database::openDedicatedConnection, linkDirectory,
                database::evictPooledConnections);
        registry.bind("linkChangeListener", linkChanges);
        addService(camel, linkChanges);

        // the proxy route's steps as processors of the beans above (process: {ref: <bean>.<method>})
        ProxySteps.bind(registry);
    }

    /** Started with the context, stopped with it. */
    private static void addService(CamelContext camel, Object service) {
        try {
            camel.addService(service);
        } catch (Exception e) {
            throw new IllegalStateException("cannot add " + service.getClass().getSimpleName(), e);
        }
    }

    /**
     * The proxy runs on the event loops (at least FHIRLINK_EVENT_LOOPS of them serve the public port); Vert.x's
     * blocked-thread checker stays at its 2 s for them, the tripwire for a proxy step that blocks. The management
     * routes run on workers, each holding its thread for its database work and registration probe, which may take
     * minutes on a slow server without anything being stuck: their blocked-thread warning (with a stack trace every
     * second) waits 10 minutes, or twice the response timeout if that is longer. On Linux x86-64 the event loops run
     * on Netty's epoll transport (the jar is a dependency): Java NIO's selector and copies into direct buffers were a
     * tenth of the CPU of a proxied call.
     */
    public static VertxOptions vertxOptions(Settings settings) {
        return new VertxOptions()
                .setPreferNativeTransport(true)
                .setEventLoopPoolSize(Math.max(settings.eventLoops(), 2 * Runtime.getRuntime().availableProcessors()))
                .setWorkerPoolSize(settings.workerThreads())
                .setMaxWorkerExecuteTime(Math.max(2L * settings.upstreamResponseTimeoutMs(), TimeUnit.MINUTES.toMillis(10)))
                .setMaxWorkerExecuteTimeUnit(TimeUnit.MILLISECONDS);
    }
}
