package io.fhirlink.support;

import ca.uhn.fhir.rest.server.HardcodedServerAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.hl7.fhir.r4.model.Patient;

/**
 * Stands in for an Azure FHIR server: a HAPI FHIR R4 plain server with in-memory Patient and
 * Observation data ({@link MemoryRestfulServer}), on {@code https://127.0.0.1:{port}} with the FHIR base at the root
 * (Azure's endpoints have no path), guarded the way Azure guards it ({@link AzureFrontDoor}):
 *
 * <ul>
 *   <li>{@code GET /metadata} is anonymous and advertises the token URL (SMART oauth-uris, {@link SmartOAuthAdvertiser});
 *   <li>everything else needs an Azure AD token from the {@link AzureAdStandIn} for this tenant with
 *       {@code aud} = {@link #baseUrl()} (401 "Authentication failed." otherwise) and the role
 *       "FHIR Data Writer" (403 "Authorization failed." otherwise), as {@link AzureTokenCheck} checks them.
 * </ul>
 *
 * It records every request and can inject faults ({@link FhirFaults}: token rejection, throttling, delay), all
 * thread-safe, so gateway tests can check what was forwarded and how failures were handled.
 */
public final class AzureFhirStandIn implements AutoCloseable {

    public static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
    public static final int DEFAULT_PAGE_SIZE = 10;

    private final String tenantId;
    private final LoopbackJetty jetty;
    private final String baseUrl;
    private final FhirMemoryStore store = new FhirMemoryStore();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final FhirFaults faults = new FhirFaults();

    private AzureFhirStandIn(AzureAdStandIn aad, String tenantId, int pageSize) throws Exception {
        this.tenantId = tenantId;
        jetty = new LoopbackJetty("fhir-stand-in");
        baseUrl = jetty.baseUrl();
        RestfulServer hapi = MemoryRestfulServer.create(store, pageSize,
                new SmartOAuthAdvertiser(aad.authorityHost() + "/" + tenantId + "/oauth2/v2.0/"));
        AzureTokenCheck tokens = new AzureTokenCheck(aad.upstreamSigningKey(), tenantId, baseUrl);
        jetty.serve(new AzureFrontDoor(requests::add, faults, tokens), hapi);
        // Links (paging "next", Location) must carry this base whatever Host header a proxy sends.
        hapi.setServerAddressStrategy(new HardcodedServerAddressStrategy(baseUrl));
    }

    /** Starts a FHIR server trusting tokens that {@code aad} issues for {@code tenantId}; pages of 10. */
    public static AzureFhirStandIn start(AzureAdStandIn aad, String tenantId) {
        return start(aad, tenantId, DEFAULT_PAGE_SIZE);
    }

    public static AzureFhirStandIn start(AzureAdStandIn aad, String tenantId, int pageSize) {
        try {
            return new AzureFhirStandIn(aad, tenantId, pageSize);
        } catch (Exception e) {
            throw new IllegalStateException("FHIR stand-in did not start", e);
        }
    }

    @Override
    public void close() {
        jetty.close();
    }

    /** {@code https://127.0.0.1:{port}}, no trailing slash: also the audience its tokens must carry. */
    public String baseUrl() {
        return baseUrl;
    }

    /** The scope to ask Azure AD for: {@code {baseUrl}/.default}. */
    public String scope() {
        return baseUrl + "/.default";
    }

    public String tenantId() {
        return tenantId;
    }

    // ---------------------------------------------------------------- data

    /** Stores {@code count} patients named {@code family} directly (no HTTP, not recorded); returns their ids. */
    public List<String> seedPatients(int count, String family) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            Patient p = new Patient();
            p.addName().setFamily(family).addGiven("Seed" + i);
            p.addIdentifier().setSystem("urn:fhir-link:test").setValue(family + "-" + i);
            ids.add(store.create(p, null).getIdElement().getIdPart());
        }
        return ids;
    }

    /** Clears data, recorded requests and pending faults, for reuse across tests. */
    public void reset() {
        store.clear();
        requests.clear();
        faults.clear();
    }

    // ---------------------------------------------------------------- recording

    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    public void clearRequests() {
        requests.clear();
    }

    // ---------------------------------------------------------------- faults

    /** The next {@code n} requests that would pass authentication get 401 instead (a revoked token). */
    public void rejectNextTokens(int n) {
        faults.rejectNextTokens(n);
    }

    /** The next {@code n} authenticated requests get 429 with Azure's retry headers (2 s). */
    public void throttleNext(int n) {
        faults.throttleNext(n);
    }

    /** Waits this long before answering anything (ZERO to stop). */
    public void setResponseDelay(Duration delay) {
        faults.setResponseDelay(delay);
    }

    /**
     * Answers with CORS headers of its own, as an Azure FHIR service with CORS settings does (any origin, its own
     * exposed header, credentials), so a test can show that they never reach the gateway's caller.
     */
    public void sendOwnCorsHeaders(boolean on) {
        faults.sendOwnCorsHeaders(on);
    }
}
