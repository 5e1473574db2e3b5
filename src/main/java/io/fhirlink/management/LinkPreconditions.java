package io.fhirlink.management;

import io.fhirlink.failure.GatewayException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;

/**
 * Optimistic concurrency for PUT and DELETE: a link's ETag is {@code W/"<version>"}; a request with
 * {@code If-Match} changes the link only while it is still at that version. The check runs twice: early against
 * the row just read (a stale tag fails before any slow probe), and in the write itself
 * ({@code ... and version = :#expectedVersion}), so two admins racing cannot both win. Without {@code If-Match}
 * a change is unconditional. Tags are compared by their opaque value: {@code "3"} and {@code W/"3"} both match
 * version 3 (the gateway only issues weak tags).
 */
public final class LinkPreconditions {

    /** Exchange property: the version the change is conditional on, when the caller sent If-Match. */
    public static final String EXPECTED_VERSION = "fhirlink.expectedVersion";
    /** Header the route's look-up of the owned link writes the row into. */
    public static final String CURRENT_LINK = "currentLink";

    private static final Pattern ENTITY_TAG = Pattern.compile("\\s*(?:W/)?\"([^\"]*)\"\\s*");

    /** Route step after reading the caller's link: 404 when it has none of that name, 412 on a stale If-Match. */
    public void checkIfMatch(Exchange exchange) {
        Object row = exchange.getMessage().getHeader(CURRENT_LINK);
        exchange.getMessage().removeHeader(CURRENT_LINK);
        String ifMatch = exchange.getMessage().getHeader("If-Match", String.class);
        exchange.getMessage().removeHeader("If-Match");
        exchange.removeProperty(EXPECTED_VERSION);
        if (!(row instanceof Map<?, ?> link)) {
            throw ManagementResponses.notFound(exchange);
        }
        if (ifMatch == null) {
            return;
        }
        long current = ((Number) link.get("version")).longValue();
        if (!matches(ifMatch, current)) {
            throw preconditionFailed(exchange, current);
        }
        exchange.setProperty(EXPECTED_VERSION, current);
    }

    /** Route step before a conditional update or delete: the expected version as its parameter (null = unconditional). */
    public void bindExpectedVersion(Exchange exchange) {
        exchange.getMessage().setHeader("expectedVersion", exchange.getProperty(EXPECTED_VERSION, Long.class));
    }

    /**
     * Route step after the conditional write: no row back means the link changed (412) or vanished (404) since it
     * was read. With If-Match both are a failed precondition (RFC 9110: no current representation matches).
     */
    public void confirmChanged(Exchange exchange) {
        if (exchange.getMessage().getBody() != null) {
            return;
        }
        if (exchange.getProperty(EXPECTED_VERSION) != null) {
            throw preconditionFailed(exchange, null);
        }
        throw ManagementResponses.notFound(exchange);
    }

    /** Whether an If-Match value ({@code *}, one tag or a comma-separated list) names this version. */
    static boolean matches(String ifMatch, long version) {
        if (ifMatch.trim().equals("*")) {
            return true;
        }
        for (String tag : ifMatch.split(",")) {
            Matcher m = ENTITY_TAG.matcher(tag);
            if (m.matches() && m.group(1).equals(Long.toString(version))) {
                return true;
            }
        }
        return false;
    }

    private static GatewayException preconditionFailed(Exchange exchange, Long current) {
        String name = exchange.getMessage().getHeader("displayName", String.class);
        GatewayException failure = new GatewayException(412, "conflict", "Precondition failed",
                "The link '" + name + "' has changed since the version named in If-Match"
                        + (current == null ? "" : " (it is now at W/\"" + current + "\")")
                        + "; read it again (GET) and repeat the change with its current ETag.");
        return current == null ? failure : failure.withHeader("ETag", "W/\"" + current + "\"");
    }
}
