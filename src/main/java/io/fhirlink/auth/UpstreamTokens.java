package io.fhirlink.auth;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.microsoft.aad.msal4j.ClientCredentialParameters;
import com.microsoft.aad.msal4j.ConfidentialClientApplication;
import com.microsoft.aad.msal4j.IAuthenticationResult;
import com.microsoft.aad.msal4j.MsalServiceException;
import io.fhirlink.config.Settings;
import io.fhirlink.failure.AzureAdRefusal;
import io.fhirlink.links.Link;
import io.fhirlink.links.LinkScopedCache;
import java.net.MalformedURLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;

/**
 * Azure AD access tokens for the linked FHIR servers (client-credentials flow, msal4j). msal4j's own cache is
 * per application object and misses on non-443 authorities, so tokens are cached here: one entry per link
 * version, kept until shortly before the token expires, and concurrent misses share one token request.
 */
public final class UpstreamTokens implements LinkScopedCache {

    public record AccessToken(String value, Instant expiresOn) {
        @Override
        public String toString() {
            return "AccessToken[expiresOn=" + expiresOn + "]";
        }
    }

    /** Told of every token request made for a link (not the probe's), on the token thread: link health listens. */
    public interface Outcomes {
        void issued(Link link);

        void refused(Link link, AzureAdRefusal refusal);

        Outcomes NONE = new Outcomes() {
            public void issued(Link link) {
            }

            public void refused(Link link, AzureAdRefusal refusal) {
            }
        };
    }

    /**
     * Caffeine logs every failed load with its stack trace; a refused token is an expected outcome that the gateway
     * answers and logs itself. Held strongly: java.util.logging forgets unreferenced loggers and their levels.
     */
    private static final Logger CAFFEINE_ASYNC_LOG = quiet("com.github.benmanes.caffeine.cache.LocalAsyncCache");

    private static Logger quiet(String name) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(Level.OFF);
        return logger;
    }

    /** Refresh this long before expiry (or at half the lifetime for short-lived tokens). */
    private static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);

    private final String authorityHost;
    private final boolean microsoftAuthority;
    private final SSLContext tls;
    private final int connectTimeoutMs;
    private final int readTimeoutMs;
    private final ExecutorService requests = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fhirlink-token");
        t.setDaemon(true);
        return t;
    });
    private final AsyncCache<String, AccessToken> cache;
    private final AtomicLong tokenRequests = new AtomicLong();
    private final AtomicLong tokenFailures = new AtomicLong();
    private final Outcomes outcomes;
    private final Optional<PlatformApplication> platform;

    public UpstreamTokens(Settings settings, SSLContext tls) {
        this(settings, tls, Outcomes.NONE, Clock.systemUTC());
    }

    /** {@code clock} decides when a cached token is due for renewal (tests move it instead of waiting). */
    public UpstreamTokens(Settings settings, SSLContext tls, Outcomes outcomes, Clock clock) {
        this(settings, tls, outcomes, clock, Optional.empty());
    }

    public UpstreamTokens(Settings settings, SSLContext tls, Outcomes outcomes, Clock clock,
            Optional<PlatformApplication> platform) {
        this.outcomes = outcomes;
        this.platform = platform;
        this.authorityHost = settings.aadAuthorityHost().toString();
        this.microsoftAuthority = settings.aadAuthorityHost().getHost().endsWith("login.microsoftonline.com");
        this.tls = tls;
        this.connectTimeoutMs = settings.upstreamConnectTimeoutMs();
        this.readTimeoutMs = Math.min(settings.upstreamResponseTimeoutMs(), 30_000);
        this.cache = Caffeine.newBuilder()
                .maximumSize(100_000)
                // the cache's upkeep runs on the reading thread: handing it to the common pool woke a thread per
                // few dozen reads (token requests run on their own threads, below)
                .executor(Runnable::run)
                .ticker(ticker(clock))
                .expireAfter(new Expiry<String, AccessToken>() {
                    @Override
                    public long expireAfterCreate(String key, AccessToken token, long now) {
                        Duration lifetime = Duration.between(clock.instant(), token.expiresOn());
                        Duration margin = lifetime.compareTo(REFRESH_MARGIN.multipliedBy(2)) < 0
                                ? lifetime.dividedBy(2) : REFRESH_MARGIN;
                        return Math.max(0, lifetime.minus(margin).toNanos());
                    }

                    @Override
                    public long expireAfterUpdate(String key, AccessToken token, long now, long current) {
                        return expireAfterCreate(key, token, now);
                    }

                    @Override
                    public long expireAfterRead(String key, AccessToken token, long now, long current) {
                        return current;
                    }
                })
                .recordStats()
                .buildAsync();
    }

    /**
     * The cache's time, from the gateway's clock, counted from now: nanoseconds since the epoch would not fit a long
     * (Caffeine adds its ~220-year "never" to it for tokens still being requested).
     */
    private static Ticker ticker(Clock clock) {
        long origin = clock.millis();
        return () -> TimeUnit.MILLISECONDS.toNanos(clock.millis() - origin);
    }

    /**
     * A valid token for the link: a completed future from the cache, or one token request to Azure AD on a thread of
     * its own (however many callers wait), never on the caller's thread.
     */
    public CompletableFuture<AccessToken> tokenFor(Link link) {
        return cache.get(cacheKey(link), (key, executor) -> CompletableFuture.supplyAsync(() -> {
            try {
                AccessToken token = request(link.tenantId(), credentialOf(link), link.scope());
                tell(() -> outcomes.issued(link));
                return token;
            } catch (AzureAdRefusal refusal) {
                tell(() -> outcomes.refused(link, refusal));
                throw refusal;
            }
        }, requests));
    }

    /** An observer's failure is never the token request's. */
    private static void tell(Runnable observer) {
        try {
            observer.run();
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(UpstreamTokens.class).warn("token outcome not recorded: {}", e.toString());
        }
    }

    /** Forget the link's token, e.g. after the FHIR server rejected it or the link changed. */
    public void forget(Link link) {
        cache.synchronous().invalidate(cacheKey(link));
    }

    /** Forget every token of a link by name (all versions), for changes announced by another replica. */
    @Override
    public void forget(String displayName) {
        cache.synchronous().asMap().keySet().removeIf(k -> k.startsWith(displayName + "@"));
    }

    /**
     * How the gateway signs in for a stored link: its secret, its certificate (the chain stored in the clear, the key
     * opened from its seal), or the platform application configured now.
     */
    public LinkCredential credentialOf(Link link) {
        return switch (link.credential() == null ? LinkCredential.SECRET : link.credential()) {
            case LinkCredential.CERTIFICATE -> new LinkCredential.Certificate(link.clientId(),
                    ClientCertificate.stored(link.clientCertificate(), link.clientSecret()));
            case LinkCredential.PLATFORM -> platform.map(PlatformApplication::credential).orElseThrow(() ->
                    new AzureAdRefusal("platform_not_configured", "the link uses the platform application, but"
                            + " FHIRLINK_PLATFORM_CLIENT_ID is not configured on this gateway", true)
                            .forCredential(LinkCredential.PLATFORM, null));
            default -> new LinkCredential.Secret(link.clientId(), link.clientSecret());
        };
    }

    /** One uncached client-credentials request with a client secret. */
    public AccessToken request(String tenantId, String clientId, String clientSecret, String scope) {
        return request(tenantId, new LinkCredential.Secret(clientId, clientSecret), scope);
    }

    /** One uncached client-credentials request, as the registration probe needs. */
    public AccessToken request(String tenantId, LinkCredential credential, String scope) {
        try {
            return requestAs(tenantId, credential, scope);
        } catch (AzureAdRefusal refusal) {
            throw refusal.forCredential(credential.kind(), platformAdvice(tenantId, credential, refusal));
        }
    }

    /**
     * A client-credentials request by the platform application in a tenant where it has no service principal is
     * Azure AD's AADSTS700016 ("application not found in the directory"): the tenant's administrator has not
     * consented to it (yet, or any more).
     */
    private String platformAdvice(String tenantId, LinkCredential credential, AzureAdRefusal refusal) {
        if (!(credential instanceof LinkCredential.Platform) || !"AADSTS700016".equals(refusal.code())) {
            return null;
        }
        String consentUrl = platform.map(p -> p.adminConsentUrl(tenantId)).orElse("");
        return "AADSTS700016: the platform application (client id " + credential.clientId() + ") has no service"
                + " principal in tenant " + tenantId + ": an administrator of that tenant has not granted it consent."
                + " An administrator (Global, Application or Cloud Application Administrator) opens " + consentUrl
                + " and accepts; then assigns the platform application the 'FHIR Data Writer' role on the FHIR service.";
    }

    private AccessToken requestAs(String tenantId, LinkCredential credential, String scope) {
        tokenRequests.incrementAndGet();
        try {
            ConfidentialClientApplication app = ConfidentialClientApplication
                    .builder(credential.clientId(), credential.msal())
                    .authority(authorityHost + "/" + tenantId)
                    .instanceDiscovery(microsoftAuthority)
                    .sslSocketFactory(tls.getSocketFactory())
                    .connectTimeoutForDefaultHttpClient(connectTimeoutMs)
                    .readTimeoutForDefaultHttpClient(readTimeoutMs)
                    .build();
            IAuthenticationResult result = app.acquireToken(ClientCredentialParameters.builder(Set.of(scope)).build()).get();
            return new AccessToken(result.accessToken(), result.expiresOnDate().toInstant());
        } catch (ExecutionException e) {
            tokenFailures.incrementAndGet();
            if (e.getCause() instanceof MsalServiceException refused) {
                boolean answered = refused.statusCode() > 0 && refused.statusCode() < 500;
                throw new AzureAdRefusal(refused.errorCode(), refused.getMessage(), answered);
            }
            throw new AzureAdRefusal(e.getCause() == null ? "unknown" : e.getCause().getClass().getSimpleName(), null, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AzureAdRefusal("interrupted", null, false);
        } catch (MalformedURLException | IllegalArgumentException e) {
            tokenFailures.incrementAndGet();
            throw new AzureAdRefusal("invalid_request", "the authority or tenant is not valid: " + e.getMessage(), true);
        } catch (RuntimeException e) {
            tokenFailures.incrementAndGet();
            throw new AzureAdRefusal(e.getClass().getSimpleName(), null, false);
        }
    }

    public long tokenRequests() {
        return tokenRequests.get();
    }

    public long tokenFailures() {
        return tokenFailures.get();
    }

    public CacheStats stats() {
        return cache.synchronous().stats();
    }

    public long size() {
        return cache.synchronous().estimatedSize();
    }

    /** Name, version and creation time: a name deleted and registered again starts over at version 1. */
    private static String cacheKey(Link link) {
        return link.displayName() + "@" + link.version() + "@"
                + (link.createdAt() == null ? 0 : link.createdAt().toInstant().toEpochMilli());
    }

    /** Forget every token (after missed change notifications nothing cached can be trusted). */
    @Override
    public void forgetAll() {
        cache.synchronous().invalidateAll();
    }
}
