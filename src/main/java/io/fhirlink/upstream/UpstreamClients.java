package io.fhirlink.upstream;

import io.fhirlink.config.Settings;
import io.fhirlink.links.Link;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.TrustOptions;
import java.net.URI;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.X509TrustManager;

/**
 * How the proxy reaches linked FHIR servers: non-blocking Vert.x clients with the gateway's trust store, connect
 * timeout, bounded pool and wait queue, keep-alive, no compression (bodies are rewritten) and no redirects (set per
 * request). One client per link: Vert.x pools connections by host and port, so a shared client would let one
 * organization's call ride a connection another organization's call left, and a server that answers twice would
 * hand one organization's answer to the other's next call. And one per event loop: a client's pool hands out any
 * idle connection, and one opened by another event loop would carry every write and every answer of the call
 * across threads (a task queued each way). A link registered again under the same name gets new clients; the old
 * ones are closed once their calls had time to end.
 */
public final class UpstreamClients {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UpstreamClients.class);

    /** Where and how one link's server is reached, parsed once per link. */
    public record Target(HttpClient client, String host, int port, boolean ssl, String basePath) {
    }

    /** A link's clients, one for each thread that calls it (the event loops: {@code forward} runs on the caller's). */
    private record Entry(String linkKey, ConcurrentMap<Thread, Target> byThread) {
    }

    private final Vertx vertx;
    private final HttpClientOptions options;
    private final long retireAfterMs;
    private final ConcurrentMap<String, Entry> byName = new ConcurrentHashMap<>();

    public UpstreamClients(Vertx vertx, Settings settings, X509TrustManager trust) {
        this.vertx = vertx;
        this.retireAfterMs = settings.upstreamDeadlineMs();
        this.options = new HttpClientOptions()
                .setTrustOptions(TrustOptions.wrap(trust))
                .setConnectTimeout(settings.upstreamConnectTimeoutMs())
                .setKeepAlive(true)
                .setKeepAliveTimeout(60)
                .setPipelining(false)
                .setTryUseCompression(false)
                // a large answer arrives in pieces of at most this: Netty's 8 KB default made a 200 MB search
                // 25,000 events, rewrites and writes to the caller
                .setMaxChunkSize(64 * 1024)
                .setMaxPoolSize(settings.maxInflightPerLink())
                .setMaxWaitQueueSize(settings.maxInflightPerLink());
    }

    public Target targetFor(Link link) {
        String key = link.endpoint() + "@" + (link.createdAt() == null ? 0 : link.createdAt().toInstant().toEpochMilli());
        Entry entry = byName.get(link.displayName());
        if (entry == null || !entry.linkKey().equals(key)) {
            entry = byName.compute(link.displayName(), (name, current) -> {
                if (current != null && current.linkKey().equals(key)) {
                    return current;
                }
                if (current != null) {
                    current.byThread().values().forEach(old -> retire(old.client()));
                }
                return new Entry(key, new ConcurrentHashMap<>());
            });
        }
        Thread thread = Thread.currentThread();
        Target target = entry.byThread().get(thread);
        if (target == null) {
            target = entry.byThread().computeIfAbsent(thread, t -> target(link));
            if (byName.get(link.displayName()) != entry) {
                retire(target.client()); // the link changed meanwhile and its old clients were retired: this one too
            }
        }
        return target;
    }

    private Target target(Link link) {
        URI endpoint = URI.create(link.endpoint());
        boolean ssl = "https".equalsIgnoreCase(endpoint.getScheme());
        int port = endpoint.getPort() > 0 ? endpoint.getPort() : ssl ? 443 : 80;
        String path = endpoint.getRawPath() == null ? "" : endpoint.getRawPath();
        HttpClient client = vertx.createHttpClient(options);
        // a connection's failure (reset, garbage, a stray answer) fails its call, which is answered 502; Vert.x would
        // also log each at ERROR
        client.connectionHandler(connection -> connection.exceptionHandler(e -> LOG.debug("upstream connection: {}", e.toString())));
        return new Target(client, endpoint.getHost(), port, ssl,
                path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
    }

    private void retire(HttpClient client) {
        vertx.setTimer(retireAfterMs, id -> client.close());
    }
}
