package io.fhirlink.links;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.fhir.FhirRequest;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
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
    private final LinkScopedCache dependent;
    private final AsyncLoadingCache<String, Optional<Link>> links;

    /**
     * The find-link query runs where {@code offEventLoop} puts it (a worker; the future completes back on the event
     * loop that asked): a cache miss never blocks the event loop.
     * {@code dependent} (the Azure tokens) forgets a link whenever this directory does.
     */
    public LinkDirectory(ProducerTemplate template, LinkRows rows, LinkScopedCache dependent, Duration ttl,
            Function<Callable<Optional<Link>>, CompletableFuture<Optional<Link>>> offEventLoop) {
        this.template = template;
        this.rows = rows;
        this.dependent = dependent;
        this.links = Caffeine.newBuilder()
                .maximumSize(100_000)
                // upkeep on the reading thread, not the common pool; loads go to offEventLoop (below)
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, Optional<Link>>() {
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
                .buildAsync((name, executor) -> offEventLoop.apply(() -> load(name)));
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
        dependent.forget(displayName);
    }

    public void evictAll() {
        links.synchronous().invalidateAll();
        dependent.forgetAll();
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

    /** The answer for a name nobody linked, and, word for word, for another organization's link. */
    public static GatewayException unknown(String name) {
        return GatewayException.notFound("No FHIR server is linked as '" + name + "'.");
    }
}
