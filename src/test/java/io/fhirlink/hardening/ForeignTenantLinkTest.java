package io.fhirlink.hardening;

import static io.fhirlink.support.GatewayHarness.CLIENT_ID;
import static io.fhirlink.support.GatewayHarness.CLIENT_SECRET;
import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import java.net.http.HttpResponse;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Organization B must not link organization A's FHIR server by naming its own tenant. The FHIR
 * server advertises its tenant in its CapabilityStatement (oauth-uris token URL); a {@code tenantId} that differs is
 * refused with a 400 naming both, before Azure AD is asked, instead of relying on the FHIR server's token check.
 */
@Timeout(value = 60)
class ForeignTenantLinkTest {

    private static final String COLLECTION = "/FhirServers/aadfhirrecord";
    /** Organization B's own application, with the writer role, in B's tenant. */
    private static final String B_CLIENT_ID = "8d3e5a4c-7f6b-4c9d-9eaf-2a3b4c5d6e7f";
    private static final String B_SECRET = "tenant~b~secret";

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass();

    @BeforeAll
    static void start() throws Exception {
        harness.aad.registerApp(OTHER_TENANT, B_CLIENT_ID, B_SECRET, true);
    }

    @BeforeEach
    void resetCounters() {
        harness.aad.resetCounters();
    }

    @Test
    void register_withTenantIdOtherThanTheAdvertisedOne_is400NamingBothTenants() throws Exception {
        HttpResponse<String> answer = harness.send("POST", COLLECTION, harness.token(OTHER_TENANT),
                link("a-server-for-b", B_CLIENT_ID, B_SECRET, OTHER_TENANT));

        assertTenantRefused(answer);
    }

    @Test
    void register_withTenantIdOtherThanTheAdvertisedOne_neverAsksAzureAd() throws Exception {
        harness.send("POST", COLLECTION, harness.token(OTHER_TENANT), link("b-asks-nobody", B_CLIENT_ID, B_SECRET, OTHER_TENANT));

        assertThat(harness.aad.tokenRequests()).isZero();
    }

    @Test
    void update_withTenantIdOtherThanTheAdvertisedOne_is400NamingBothTenants() throws Exception {
        assertThat(harness.register("a-keeps-its-tenant").statusCode()).isEqualTo(201);

        HttpResponse<String> answer = harness.send("PUT", COLLECTION + "/a-keeps-its-tenant", harness.token(TENANT),
                link(null, B_CLIENT_ID, B_SECRET, OTHER_TENANT));

        assertTenantRefused(answer);
    }

    @Test
    void register_withTheAdvertisedTenantInAnyCase_succeeds() throws Exception {
        HttpResponse<String> answer = harness.send("POST", COLLECTION, harness.token(TENANT),
                link("same-tenant-upper", CLIENT_ID, CLIENT_SECRET, TENANT.toUpperCase(Locale.ROOT)));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
    }

    private static String link(String name, String clientId, String secret, String tenantId) {
        return LinkBody.writerOf(harness.fhir.baseUrl()).name(name).client(clientId, secret).tenant(tenantId).json();
    }

    /** One field error, on tenantId, that names the tenant sent and the tenant the server advertises. */
    private static void assertTenantRefused(HttpResponse<String> answer) {
        Hardening.assertProblem(answer, 400);
        JsonNode errors = Hardening.json(answer).path("errors");
        assertThat(errors).as(answer.body()).singleElement().satisfies(error -> {
            assertThat(error.path("field").asText()).isEqualTo("tenantId");
            assertThat(error.path("message").asText()).contains(OTHER_TENANT, TENANT);
        });
    }
}
