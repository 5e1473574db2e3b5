package io.fhirlink.auth;

import io.fhirlink.fhir.FhirRequest;
import io.fhirlink.links.Link;
import io.fhirlink.links.LinkDirectory;
import org.apache.camel.Exchange;

/**
 * Who may use a link: the organization that registered it. The one exception, kept here only, is the
 * CapabilityStatement: FHIR servers let anyone read it, and Azure serves it without a token, so it is read without
 * a caller's token and sent upstream without the link's Azure token (it works even while the link's credentials
 * are broken).
 */
public final class LinkAccess {

    /** Whether the request may be made without a caller's token, and is sent without the link's Azure token. */
    public static boolean isAnonymous(FhirRequest request) {
        return request.isCapabilityStatement();
    }

    /**
     * Route step: the caller's organization must own the link. Another organization's link answers exactly like an
     * unknown one: no existence leak.
     */
    public void authorize(Exchange exchange) {
        FhirRequest request = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class);
        Caller caller = exchange.getProperty(Caller.PROPERTY, Caller.class);
        Link link = exchange.getProperty(Link.PROPERTY, Link.class);
        boolean anonymousRead = caller == null && isAnonymous(request);
        if (!anonymousRead && (caller == null || !caller.organization().equals(link.organization()))) {
            exchange.removeProperty(Link.PROPERTY);
            throw LinkDirectory.unknown(request.displayName());
        }
    }
}
