package io.fhirlink.management;

import io.fhirlink.auth.Caller;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.links.Link;
import io.fhirlink.links.LinkRows;
import io.fhirlink.auth.ClientCertificate;
import io.fhirlink.auth.LinkCredential;
import io.fhirlink.ops.LinkHealth;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Exchange;

/**
 * {@code POST /FhirServers/aadfhirrecord/{name}/probe}: the registration probe again, with the stored settings and
 * credentials, its outcome recorded as the link's status (and nothing else about the link changed). At most one
 * probe per link per {@link #INTERVAL} on this replica: each costs a token request and two calls to the FHIR server.
 * Also records the passed probe of an update (PUT), whose new settings are the link's from then on.
 */
public final class LinkProbes {

    public static final Duration INTERVAL = Duration.ofSeconds(10);
    /** Exchange property with the probed link (without its secret), for recording its status. */
    static final String PROBED_LINK = "fhirlink.probedLink";
    private static final String FAILED_PROBE = "fhirlink.failedProbe";

    private final LinkRows rows;
    private final LinkHealth health;
    private final Clock clock;
    private final Map<String, Instant> lastProbes = new ConcurrentHashMap<>();

    public LinkProbes(LinkRows rows, LinkHealth health, Clock clock) {
        this.rows = rows;
        this.health = health;
        this.clock = clock;
    }

    /** Route step after reading the caller's link: 404 for none of that name (another organization's included). */
    @SuppressWarnings("unchecked")
    public void checkProbedLink(Exchange exchange) {
        Map<String, Object> row = exchange.getMessage().getBody(Map.class);
        if (row == null) {
            throw ManagementResponses.notFound(exchange);
        }
        exchange.setProperty(PROBED_LINK, rows.toLinkWithoutSecret(row));
    }

    /** Route step: 429 with Retry-After when the link was probed less than {@link #INTERVAL} ago. */
    public void admitProbe(Exchange exchange) {
        Link link = exchange.getProperty(PROBED_LINK, Link.class);
        Instant now = clock.instant();
        Instant previous = lastProbes.compute(link.displayName(),
                (name, last) -> last != null && last.plus(INTERVAL).isAfter(now) ? last : now);
        if (!previous.equals(now)) {
            long wait = Math.max(1, Duration.between(now, previous.plus(INTERVAL)).toMillis() / 1000 + 1);
            throw new GatewayException(429, "throttled", "Too many requests", "The link '" + link.displayName()
                    + "' was probed less than " + INTERVAL.toSeconds() + " s ago; probe it again in " + wait + " s.")
                    .withHeader("Retry-After", Long.toString(wait));
        }
    }

    /** Route step: the stored settings, with the secret opened, as the probe reads a registration. */
    @SuppressWarnings("unchecked")
    public void bindStoredCredentials(Exchange exchange) {
        Link link = rows.toLink(exchange.getMessage().getBody(Map.class));
        boolean certificate = LinkCredential.CERTIFICATE.equals(link.credential());
        exchange.setProperty(RegistrationRequest.PROPERTY, new RegistrationRequest(link.displayName(), link.description(),
                link.endpoint(), link.clientId(), certificate ? null : link.clientSecret(), link.tenantId(), null,
                link.credential(), certificate ? ClientCertificate.stored(link.clientCertificate(), link.clientSecret()) : null));
        exchange.getMessage().setBody(null);
    }

    /** Route step in the probe's doCatch: the failure becomes the link's status, and is kept for the answer. */
    public void recordFailed(Exchange exchange) {
        GatewayException refused = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, GatewayException.class);
        ProbeFailure failure = exchange.getProperty(ProbeFailure.PROPERTY, ProbeFailure.class);
        if (failure != null && refused != null) {
            health.probeFailed(exchange.getProperty(PROBED_LINK, Link.class), failure.state(), failure.cause(),
                    refused.detail());
        }
        exchange.setProperty(FAILED_PROBE, refused);
    }

    /**
     * Route step after the doTry: a failed probe goes on to the caller as on registration (400). Thrown here, not in
     * the doCatch, because Camel's error handler (the problem+json answer) does not apply inside a doTry.
     */
    public void rethrowFailure(Exchange exchange) {
        GatewayException refused = exchange.getProperty(FAILED_PROBE, GatewayException.class);
        if (refused != null) {
            throw refused;
        }
    }

    /** Route step after a passed re-probe: the link is ok; binds it for reading its status back. */
    public void recordPassed(Exchange exchange) {
        Link link = exchange.getProperty(PROBED_LINK, Link.class);
        health.probePassed(link);
        exchange.getMessage().setHeader("displayName", link.displayName());
        exchange.getMessage().setHeader("organization", exchange.getProperty(Caller.PROPERTY, Caller.class).organization());
    }

    /** Route step after an update (PUT) passed its probe and was saved: the link is ok with its new settings. */
    @SuppressWarnings("unchecked")
    public void recordUpdatePassed(Exchange exchange) {
        health.probePassed(rows.toLinkWithoutSecret(exchange.getMessage().getBody(Map.class)));
    }
}
