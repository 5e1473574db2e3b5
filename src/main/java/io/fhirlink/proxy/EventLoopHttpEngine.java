package io.fhirlink.proxy;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * The platform-http engine of the FHIR proxy route alone (its {@code from} names it with {@code platformHttpEngine}):
 * Camel's engine with a consumer that runs the route on the event loop. The management routes keep Camel's engine.
 */
public final class EventLoopHttpEngine extends VertxPlatformHttpEngine {

    @Override
    protected void doInit() {
        // Camel's engine binds itself as the component's default here; this one must serve only the route naming it
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new EventLoopHttpConsumer(endpoint, processor, getHandlers(),
                VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
    }
}
