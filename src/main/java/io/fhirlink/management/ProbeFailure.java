package io.fhirlink.management;

import io.fhirlink.ops.LinkState;

/**
 * What a failed probe says of the link's health: the state and a short cause ({@code AADSTS7000215},
 * {@code http-403}, {@code unreachable}, ...). The probe's message is the cause's advice. A re-probe records it.
 */
public record ProbeFailure(LinkState state, String cause) {

    /** Exchange property the probe sets just before it fails. */
    public static final String PROPERTY = "fhirlink.probeFailure";
}
