package io.fhirlink.ops;

import java.util.Locale;

/** A link's health as the management API, Prometheus and JMX name it. */
public enum LinkState {
    OK,
    CREDENTIALS_REJECTED,
    FORBIDDEN,
    UNREACHABLE,
    NOT_YET_USED;

    /** {@code credentials-rejected}: the name in the API, the database and the metrics. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
