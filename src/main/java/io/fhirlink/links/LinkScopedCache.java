package io.fhirlink.links;

/** A cache keyed by link (e.g. its Azure tokens) that must forget a link whenever the link directory does. */
public interface LinkScopedCache {

    void forget(String displayName);

    void forgetAll();
}
