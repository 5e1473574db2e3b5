package io.fhirlink.proxy;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Vert.x normalises a path before routing ({@code /a/../FhirServers} is routed as {@code /FhirServers}), so the
 * proxy route would never see such a request. This handler runs first on the public server and refuses any path
 * that steps outside where it points, with 400, before any route matches. (What is wrong with a request's framing
 * is refused earlier still, by the connection's decoder: {@code CallerConnections}.)
 */
public final class RawPathGuard implements Handler<RoutingContext> {

    /** The 400 the guard answers: the same words as the parser's refusal, as an OperationOutcome. */
    static final String FHIR_BODY = "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
            + "\"code\":\"invalid\",\"diagnostics\":\"" + PathSafety.REFUSED + "\"}]}";

    /** Puts the guard in front of every route of the public (not the management) server. */
    public static void install(CamelContext camel) {
        for (VertxPlatformHttpRouter router : camel.getRegistry().findByType(VertxPlatformHttpRouter.class)) {
            if (!router.isManagementServer()) {
                router.route().order(Integer.MIN_VALUE).handler(new RawPathGuard());
            }
        }
    }

    @Override
    public void handle(RoutingContext ctx) {
        String path = ctx.request().path();
        if (path == null || PathSafety.isSafe(path)) {
            ctx.next();
            return;
        }
        ctx.response().setStatusCode(400)
                .putHeader("Content-Type", "application/fhir+json")
                .end(FHIR_BODY);
    }
}
