package io.fhirlink.proxy;

import io.fhirlink.config.Settings;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.links.Link;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * Bounds the calls in flight, across all links (FHIRLINK_MAX_INFLIGHT) and per link
 * (FHIRLINK_MAX_INFLIGHT_PER_LINK): no thread pool bounds them any more, and one organization's slow FHIR server must
 * not take every call the gateway can hold. Beyond a bound the answer is 503 with Retry-After, at once.
 */
public final class InflightLimits {

    private final int maxTotal;
    private final int maxPerLink;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentMap<String, AtomicInteger> perLink = new ConcurrentHashMap<>();

    public InflightLimits(Settings settings) {
        this.maxTotal = settings.maxInflight();
        this.maxPerLink = settings.maxInflightPerLink();
    }

    /** Route step once the link is known: takes a place until the exchange completes, or refuses. */
    public void admit(Exchange exchange) {
        String link = exchange.getProperty(Link.PROPERTY, Link.class).displayName();
        AtomicInteger ofLink = perLink.computeIfAbsent(link, name -> new AtomicInteger());
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            throw busy("The gateway has as many FHIR calls in flight as it accepts; try again shortly.");
        }
        if (ofLink.incrementAndGet() > maxPerLink) {
            ofLink.decrementAndGet();
            total.decrementAndGet();
            throw busy("This linked FHIR server has as many calls in flight as the gateway accepts for one link; "
                    + "try again shortly.");
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                ofLink.decrementAndGet();
                total.decrementAndGet();
            }
        });
    }

    private static GatewayException busy(String detail) {
        return new GatewayException(503, "transient", "Service unavailable", detail).withHeader("Retry-After", "1");
    }
}
