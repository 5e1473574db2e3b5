package io.fhirlink.proxy;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Runs first on the public server, before any route matches, and refuses with 400 (closing the connection) what no
 * route may see:
 * <ul>
 *   <li>a path that steps outside where it points: Vert.x normalises a path before routing ({@code /a/../FhirServers}
 *       is routed as {@code /FhirServers}), so the proxy route would never see the raw form;</li>
 *   <li>a request whose framing another server could read differently (request smuggling): a {@code Transfer-Encoding}
 *       beside a {@code Content-Length}, or any transfer coding but plain {@code chunked} (Netty reads
 *       {@code chunked, identity} or a folded header as chunked, a front proxy may not);</li>
 *   <li>two {@code Host} headers, which name two different targets.</li>
 * </ul>
 * A request with both a length and {@code chunked} never gets here: {@code CallerConnections}' decoder refuses it.
 */
public final class RequestGuard implements Handler<RoutingContext> {

    private static final String PATH_REFUSED = outcome(PathSafety.REFUSED);
    private static final String FRAMING_REFUSED = outcome(
            "The request declares its length ambiguously (Transfer-Encoding with Content-Length, or a transfer coding other than chunked).");
    private static final String HOST_REFUSED = outcome("The request names more than one Host.");

    /** Puts the guard in front of every route of the public (not the management) server. */
    public static void install(CamelContext camel) {
        for (VertxPlatformHttpRouter router : camel.getRegistry().findByType(VertxPlatformHttpRouter.class)) {
            if (!router.isManagementServer()) {
                router.route().order(Integer.MIN_VALUE).handler(new RequestGuard());
            }
        }
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String path = request.path();
        if (path != null && !PathSafety.isSafe(path)) {
            refuse(ctx, PATH_REFUSED);
        } else if (ambiguousFraming(request)) {
            refuse(ctx, FRAMING_REFUSED);
        } else if (request.headers().getAll("Host").size() > 1) {
            refuse(ctx, HOST_REFUSED);
        } else {
            ctx.next();
        }
    }

    private static boolean ambiguousFraming(HttpServerRequest request) {
        List<String> codings = request.headers().getAll("Transfer-Encoding");
        if (codings.isEmpty()) {
            return false;
        }
        return codings.size() > 1 || request.headers().contains("Content-Length")
                || !"chunked".equalsIgnoreCase(codings.get(0));
    }

    private static void refuse(RoutingContext ctx, String outcome) {
        ctx.response().setStatusCode(400)
                .putHeader("Content-Type", "application/fhir+json")
                .putHeader("Connection", "close")
                .end(outcome)
                .onComplete(sent -> ctx.response().close());
    }

    private static String outcome(String diagnostics) {
        return "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                + "\"code\":\"invalid\",\"diagnostics\":\"" + diagnostics + "\"}]}";
    }
}
