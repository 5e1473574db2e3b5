package io.fhirlink.proxy;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.fhirlink.GatewayException;
import io.fhirlink.Link;
import io.fhirlink.LinkRows;
import io.fhirlink.auth.Caller;
import io.fhirlink.auth.UpstreamTokens;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

/**
 * Links by display name, from a Caffeine cache in front of the {@code find-link} route (camel-sql), so a steady
 * stream of requests makes no database query. Unknown names are remembered briefly too, so a client probing
 * names cannot turn every request into a query. Changes are dropped from the cache at once (see
 * {@link #evict(String)}); the TTL is the backstop.
 */
public final class LinkDirectory {

    public static final String FIND_LINK_ROUTE = "direct:find-link";
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final ProducerTemplate template;
    private final LinkRows rows;
    private final UpstreamTokens tokens;
    private final AsyncLoadingCache<String, Optional<Link>> links;

    /** The find-link query runs on a worker ({@code workers}): a cache miss never blocks the event loop. */
    public LinkDirectory(ProducerTemplate template, LinkRows rows, UpstreamTokens tokens, Duration ttl, Workers workers) {
        this.template = template;
        this.rows = rows;
        this.tokens = tokens;
        this.links = Caffeine.newBuilder()
                .maximumSize(100_000)
                .expireAfter(new com.github.benmanes.caffeine.cache.Expiry<String, Optional<Link>>() {
                    @Override
                    public long expireAfterCreate(String name, Optional<Link> link, long now) {
                        return (link.isPresent() ? ttl : Duration.ofSeconds(Math.min(5, ttl.toSeconds()))).toNanos();
                    }

                    @Override
                    public long expireAfterUpdate(String name, Optional<Link> link, long now, long current) {
                        return expireAfterCreate(name, link, now);
                    }

                    @Override
                    public long expireAfterRead(String name, Optional<Link> link, long now, long current) {
                        return current;
                    }
                })
                // a link in use is re-read in the background before it expires: no request waits for the database
                .refreshAfterWrite(ttl.dividedBy(2))
                .recordStats()
                .buildAsync((name, executor) -> workers.run(() -> load(name)));
    }

    /** Route step: the link named in the request into {@link Link#PROPERTY}; else 404. */
    public CompletionStage<Void> resolve(Exchange exchange) {
        String name = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class).displayName();
        CompletableFuture<Optional<Link>> link = links.get(name);
        if (link.isDone() && !link.isCompletedExceptionally()) {
            exchange.setProperty(Link.PROPERTY, link.join().orElseThrow(() -> unknown(name))); // the warm path
            return DONE;
        }
        return link.thenAccept(found -> exchange.setProperty(Link.PROPERTY, found.orElseThrow(() -> unknown(name))));
    }

    /**
     * Route step: the caller's organization must own the link (the CapabilityStatement may be read anonymously).
     * Another organization's link answers exactly like an unknown one: no existence leak.
     */
    public void authorize(Exchange exchange) {
        FhirRequest request = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class);
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        Link link = exchange.getProperty(Link.PROPERTY, Link.class);
        boolean anonymousCapabilityRead = caller == null && request.isCapabilityStatement();
        if (!anonymousCapabilityRead && (caller == null || !caller.organization().equals(link.organization()))) {
            exchange.removeProperty(Link.PROPERTY);
            throw unknown(request.displayName());
        }
    }

    /** Route step after a link changed or was deleted: this replica forgets it now. */
    public void forgetChanged(Exchange exchange) {
        String name = exchange.getMessage().getHeader("displayName", String.class);
        if (name != null) {
            evict(name);
        }
    }

    /** Drops the link and its Azure tokens from this replica's caches. */
    public void evict(String displayName) {
        links.synchronous().invalidate(displayName);
        tokens.forget(displayName);
    }

    public void evictAll() {
        links.synchronous().invalidateAll();
        tokens.forgetAll();
    }

    /** Reads of the database: every load and background refresh of the cache. */
    public long databaseLookups() {
        return links.synchronous().stats().loadCount();
    }

    public CacheStats stats() {
        return links.synchronous().stats();
    }

    public long size() {
        return links.synchronous().estimatedSize();
    }

    @SuppressWarnings("unchecked")
    private Optional<Link> load(String displayName) {
        Object row = template.requestBodyAndHeader(FIND_LINK_ROUTE, null, "displayName", displayName);
        return row instanceof Map<?, ?> map ? Optional.of(rows.toLink((Map<String, Object>) map)) : Optional.empty();
    }

    private static GatewayException unknown(String name) {
        return GatewayException.notFound("No FHIR server is linked as '" + name + "'.");
    }
}
