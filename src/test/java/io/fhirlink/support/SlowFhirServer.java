package io.fhirlink.support;

import static io.fhirlink.support.GatewayHarness.freePort;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.KeyCertOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTPS FHIR server that holds its answers without holding a thread (Vert.x timers), so thousands of calls can
 * wait on it at once, as on an overloaded FHIR service. {@code /metadata} answers at once (the registration probe
 * passes); everything else answers a small Patient, at once, or once it is released and a delay has passed. Counts
 * the calls it holds. Serves from several event loops: opening thousands of TLS connections is work.
 */
public final class SlowFhirServer implements AutoCloseable {

    private static final String CAPABILITY = """
            {"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"4.0.1",
             "format":["json"],"rest":[{"mode":"server"}]}""";
    private static final String PATIENT = "{\"resourceType\":\"Patient\",\"id\":\"slow\"}";

    private final Vertx vertx = Vertx.vertx();
    private final int port = freePort();
    private final AtomicInteger holding = new AtomicInteger();
    private final List<Runnable> held = new CopyOnWriteArrayList<>();
    private volatile boolean holdAnswers;
    private volatile long delayMs;

    private SlowFhirServer() throws Exception {
        HttpServerOptions options = new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(KeyCertOptions.wrap(TestCertificates.serverKeyManagers()));
        vertx.deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start(Promise<Void> started) {
                vertx.createHttpServer(options).requestHandler(SlowFhirServer.this::answer)
                        .listen(port, "127.0.0.1").<Void>mapEmpty().onComplete(started);
            }
        }, new DeploymentOptions().setInstances(4)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void answer(HttpServerRequest request) {
        if (request.path().endsWith("/metadata")) {
            request.response().putHeader("Content-Type", "application/fhir+json").end(CAPABILITY);
            return;
        }
        Runnable send = () -> request.response().putHeader("Content-Type", "application/fhir+json").end(PATIENT);
        if (!holdAnswers) {
            send.run();
            return;
        }
        holding.incrementAndGet();
        held.add(() -> vertx.setTimer(delayMs, id -> {
            holding.decrementAndGet();
            send.run();
        }));
    }

    public static SlowFhirServer start() throws Exception {
        return new SlowFhirServer();
    }

    public String baseUrl() {
        return "https://127.0.0.1:" + port;
    }

    /** From now on every answer but the CapabilityStatement is held until {@link #release}. */
    public void holdAnswers() {
        holdAnswers = true;
    }

    /** The held answers go out {@code delay} from now; later calls answer at once again. */
    public void release(Duration delay) {
        delayMs = delay.toMillis();
        holdAnswers = false;
        held.forEach(Runnable::run);
        held.clear();
    }

    /** Calls waiting for their answer right now. */
    public int holding() {
        return holding.get();
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
