package io.fhirlink.ops;

import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.spi.UnitOfWork;
import org.apache.camel.telemetry.Span;
import org.apache.camel.telemetry.decorators.DirectSpanDecorator;
import org.apache.camel.telemetry.decorators.PlatformHttpSpanDecorator;

/**
 * Camel's span decorators for the components fhir-link's routes start from, plus the id of the route a span belongs
 * to ({@value #ROUTE_ID}): a route's own span names the route it runs (fhir-proxy, forward-upstream, register-link),
 * a call to another route names the calling one. Camel's tracer loads them instead of its own (ServiceLoader,
 * {@code META-INF/services/org.apache.camel.telemetry.SpanDecorator}); they exist only when tracing is on.
 */
public final class RouteSpans {

    /** Span attribute with the route id. */
    public static final String ROUTE_ID = "camel.route.id";

    private RouteSpans() {
    }

    static void tagRoute(Span span, Exchange exchange) {
        // the unit of work enters a route before its policies run (the tracer's among them), so this is the route
        // being entered for a route's span, and the calling route for a call's
        UnitOfWork work = exchange.getUnitOfWork();
        Route route = work == null ? null : work.getRoute();
        if (route != null) {
            span.setTag(ROUTE_ID, route.getRouteId());
        }
    }

    /**
     * {@code platform-http:} routes: the proxy and the management API. Their {@code http.url} names query parameters
     * without their values, as the access log does (a search like {@code family=Smith} is health data).
     */
    public static final class PlatformHttp extends PlatformHttpSpanDecorator {
        @Override
        protected String getHttpURL(Exchange exchange, Endpoint endpoint) {
            String url = super.getHttpURL(exchange, endpoint);
            return url == null ? null : RequestLog.pathWithoutValues(url);
        }

        @Override
        public void beforeTracingEvent(Span span, Exchange exchange, Endpoint endpoint) {
            super.beforeTracingEvent(span, exchange, endpoint);
            tagRoute(span, exchange);
        }
    }

    /** {@code direct:} routes: forward-upstream, find-link, the probe. */
    public static final class Direct extends DirectSpanDecorator {
        @Override
        public void beforeTracingEvent(Span span, Exchange exchange, Endpoint endpoint) {
            super.beforeTracingEvent(span, exchange, endpoint);
            tagRoute(span, exchange);
        }
    }
}
