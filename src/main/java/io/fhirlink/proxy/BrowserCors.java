package io.fhirlink.proxy;

import io.fhirlink.config.Settings;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * CORS for browser apps on the public port (FHIR paths and the management API), from FHIRLINK_CORS_*. Vert.x web's
 * {@link CorsHandler} answers preflights (204, no token needed: it runs before any route) and adds
 * {@code Access-Control-Allow-Origin} and {@code -Expose-Headers} to the answers, but only for an origin listed
 * exactly. Two things it does otherwise are not wanted: it fails another origin's request with 403 (here that
 * request goes on as if no CORS existed, and its answer carries no CORS header), and it leaves out
 * {@code Vary: Origin} when one origin is configured (a shared cache would then hand one origin's answer, or a
 * non-browser answer, to another).
 */
public final class BrowserCors implements Handler<RoutingContext> {

    static final Set<HttpMethod> ALLOWED_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
            HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.OPTIONS);
    /** What a FHIR browser app sends: its token, the content negotiation and FHIR's conditional headers. */
    static final Set<String> ALLOWED_HEADERS = new LinkedHashSet<>(List.of("Authorization", "Content-Type",
            "Accept", "If-Match", "If-None-Match", "If-None-Exist", "If-Modified-Since", "If-Unmodified-Since", "Prefer",
            "X-Request-Id", "x-ms-profile-validation", "x-ms-conditional-delete-max-delete-count",
            "x-ms-use-partial-indices", "x-ms-query-latency-over-efficiency", "x-ms-enable-chained-search",
            "x-ms-bundle-processing-logic"));
    /** What a browser app may read of an answer besides the CORS-safelisted headers. */
    static final Set<String> EXPOSED_HEADERS = new LinkedHashSet<>(List.of("Location", "Content-Location", "ETag",
            "Last-Modified", "X-Request-Id", "Retry-After", "x-ms-retry-after-ms", "WWW-Authenticate",
            "x-ms-request-charge"));

    private final Set<String> origins;
    private final CorsHandler cors;

    BrowserCors(List<String> origins, boolean allowCredentials, int maxAgeSeconds) {
        this.origins = Set.copyOf(origins);
        this.cors = CorsHandler.create()
                .addOrigins(origins)
                .allowedMethods(ALLOWED_METHODS)
                .allowedHeaders(ALLOWED_HEADERS)
                .exposedHeaders(EXPOSED_HEADERS)
                .allowCredentials(allowCredentials)
                .maxAgeSeconds(maxAgeSeconds);
    }

    /** In front of every route of the public server, after {@link RawPathGuard}; nothing at all when unconfigured. */
    public static void install(CamelContext camel, Settings settings) {
        if (!settings.corsEnabled()) {
            return;
        }
        BrowserCors handler = new BrowserCors(settings.corsAllowedOrigins(), settings.corsAllowCredentials(),
                settings.corsMaxAgeSeconds());
        for (VertxPlatformHttpRouter router : camel.getRegistry().findByType(VertxPlatformHttpRouter.class)) {
            if (!router.isManagementServer()) {
                router.route().order(Integer.MIN_VALUE + 1).handler(handler);
            }
        }
    }

    @Override
    public void handle(RoutingContext ctx) {
        // the answer differs by Origin whether or not this request sent one
        AnswerHeaders.addVary(ctx.response().headers(), "Origin");
        String origin = ctx.request().getHeader("Origin");
        if (origin != null && origins.contains(origin)) {
            cors.handle(ctx);
        } else {
            ctx.next();
        }
    }
}
