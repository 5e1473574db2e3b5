package io.fhirlink.support;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** What reached the Azure AD stand-in, for tests to count: token POSTs with their forms, and caller JWKS GETs. */
final class AadTraffic {

    private final AtomicInteger tokenRequests = new AtomicInteger();
    private final AtomicInteger jwksRequests = new AtomicInteger();
    private final List<Map<String, String>> tokenForms = new CopyOnWriteArrayList<>();

    void countTokenRequest() {
        tokenRequests.incrementAndGet();
    }

    void recordTokenForm(Map<String, String> form) {
        tokenForms.add(form);
    }

    void countJwksRequest() {
        jwksRequests.incrementAndGet();
    }

    int tokenRequests() {
        return tokenRequests.get();
    }

    List<Map<String, String>> tokenForms() {
        return List.copyOf(tokenForms);
    }

    int jwksRequests() {
        return jwksRequests.get();
    }

    void reset() {
        tokenRequests.set(0);
        jwksRequests.set(0);
        tokenForms.clear();
    }
}
