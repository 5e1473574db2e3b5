package io.fhirlink.proxy;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.fhirlink.GatewayException;
import io.fhirlink.Link;
import io.fhirlink.LinkRows;
import io.fhirlink.auth.Caller;
import io.fhirlink.auth.UpstreamTokens;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
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

    private final ProducerTemplate template;
    private final LinkRows rows;
    private final UpstreamTokens tokens;
    private final LoadingCache<String, Optional<Link>> links;

    public LinkDirectory(ProducerTemplate template, LinkRows rows, UpstreamTokens tokens, Duration ttl) {
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
                .build(this::load);
    }

    /** Route step: the link named in the request into {@link Link#PROPERTY}; else 404. */
    public void resolve(Exchange exchange) {
        FhirRequest request = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class);
        exchange.setProperty(Link.PROPERTY, find(request.displayName()).orElseThrow(() -> unknown(request.displayName())));
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

    public Optional<Link> find(String displayName) {
        try {
            return links.get(displayName);
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
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
        links.invalidate(displayName);
        tokens.forget(displayName);
    }

    public void evictAll() {
        links.invalidateAll();
        tokens.forgetAll();
    }

    /** Reads of the database: every load and background refresh of the cache. */
    public long databaseLookups() {
        return links.stats().loadCount();
    }

    public CacheStats stats() {
        return links.stats();
    }

    public long size() {
        return links.estimatedSize();
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
