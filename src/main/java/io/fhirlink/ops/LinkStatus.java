package io.fhirlink.ops;

import java.time.Instant;

/**
 * What the gateway knows of one link's health at one moment: its state since when, the last successful FHIR answer,
 * and the last failure with its cause (an AADSTS code, {@code http-401}, {@code http-403}, {@code unreachable},
 * {@code timeout}) and what to do about it. {@code observedAt} orders snapshots of different replicas.
 */
public record LinkStatus(
        String displayName,
        long linkCreatedAtMillis,
        LinkState state,
        Instant since,
        Instant observedAt,
        Instant lastSuccessAt,
        Failure lastFailure) {

    public record Failure(Instant at, String cause, String advice) {
    }
}
