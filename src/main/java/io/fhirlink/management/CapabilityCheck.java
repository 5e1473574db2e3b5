package io.fhirlink.management;

import java.util.Optional;

/**
 * What the anonymous {@code GET {endpoint}/metadata} told us: the FHIR version and, when the server advertises
 * SMART {@code oauth-uris}, the Azure AD tenant in its token URL.
 */
public record CapabilityCheck(String fhirVersion, Optional<String> advertisedTenant) {

    public static final String PROPERTY = "fhirlink.capability";
}
