package io.fhirlink.management;

import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.AzureFhirStandIn;
import io.fhirlink.support.TestCertificates;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end: links without a shared secret. The gateway signs in as the platform's own multi-tenant
 * application (FHIRLINK_PLATFORM_CLIENT_ID with a certificate file) in the organization's tenant. The Azure AD
 * stand-in knows the platform application in a tenant only after that tenant's administrator consented (AADSTS700016
 * before), and its service principal gets the FHIR Data Writer role per tenant (403 from the FHIR server before).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlatformCredentialTest {

    private static final String COLLECTION = "/FhirServers/aadfhirrecord";
    private static final String PLATFORM_CLIENT_ID = "9a000000-bbbb-4ccc-8ddd-000000000001";
    private static final String PLATFORM_HOME_TENANT = "9a000000-0000-4000-8000-00000000f00d";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static GatewayHarness h;
    private static AzureFhirStandIn otherTenantFhir;

    @BeforeAll
    static void start() throws Exception {
        KeyPair keys = TestCertificates.rsaKeys(2048);
        X509Certificate certificate = TestCertificates.clientCertificate(keys, "fhir-link platform", 365);
        String pemFile = TestCertificates.writeTemporaryPem(TestCertificates.pemWithKey(certificate, keys.getPrivate())).toString();
        h = GatewayHarness.start(Map.of(
                "FHIRLINK_PLATFORM_CLIENT_ID", PLATFORM_CLIENT_ID,
                "FHIRLINK_PLATFORM_CLIENT_CERTIFICATE", pemFile,
                "FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS", "15000"));
        h.aad.registerMultiTenantApp(PLATFORM_HOME_TENANT, PLATFORM_CLIENT_ID, certificate, null);
        h.fhir.seedPatients(1, "Platformed");
        h.aad.registerTenant(OTHER_TENANT);
        otherTenantFhir = AzureFhirStandIn.start(h.aad, OTHER_TENANT);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (otherTenantFhir != null) {
                otherTenantFhir.close();
            }
        } finally {
            if (h != null) {
                h.close();
            }
        }
    }

    @Test
    @Order(1)
    void register_beforeTheTenantConsented_is400WithTheAdminConsentUrl() throws Exception {
        HttpResponse<String> refused = post(body("platform-link", h.fhir.baseUrl(), TENANT));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        String detail = JSON.readTree(refused.body()).path("detail").asText();
        assertThat(detail).contains("AADSTS700016")
                .contains(h.aad.authorityHost() + "/" + TENANT + "/adminconsent?client_id=" + PLATFORM_CLIENT_ID);
    }

    @Test
    @Order(2)
    void register_afterConsentWithoutTheRole_is400NamingTheRoleForThePlatformApplication() throws Exception {
        h.aad.grantConsent(TENANT, PLATFORM_CLIENT_ID);
        HttpResponse<String> refused = post(body("platform-link", h.fhir.baseUrl(), TENANT));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(JSON.readTree(refused.body()).path("detail").asText())
                .contains("HTTP 403").contains("FHIR Data Writer").contains(PLATFORM_CLIENT_ID).contains("30 minutes");
    }

    @Test
    @Order(3)
    void register_afterConsentAndRole_isCreatedWithoutASecret_andProxies() throws Exception {
        h.aad.assignFhirDataWriter(TENANT, PLATFORM_CLIENT_ID, true);
        h.aad.resetCounters();
        HttpResponse<String> created = post(body("platform-link", h.fhir.baseUrl(), TENANT));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode link = JSON.readTree(created.body());
        assertThat(link.path("credential").asText()).isEqualTo("platform");
        assertThat(link.path("clientId").asText()).isEqualTo(PLATFORM_CLIENT_ID);
        assertThat(h.aad.tokenRequestForms().get(0)).containsEntry("client_id", PLATFORM_CLIENT_ID)
                .containsKey("client_assertion").doesNotContainKey("client_secret");

        HttpResponse<String> read = h.send("GET", "/platform-link/Patient", h.token(TENANT), null);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).contains("Platformed");
    }

    @Test
    @Order(4)
    void register_inATenantThatNeverConsented_is400WithThatTenantsConsentUrl() throws Exception {
        HttpResponse<String> refused = post(OTHER_TENANT, body("platform-other", otherTenantFhir.baseUrl(), OTHER_TENANT));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(refused.body()).contains("AADSTS700016").contains(OTHER_TENANT + "/adminconsent");
    }

    @Test
    @Order(5)
    void consentRevoked_theProxyAnswers502SecurityWithTheConsentAdvice() throws Exception {
        h.aad.revokeConsent(TENANT, PLATFORM_CLIENT_ID);
        h.gateway().bean("upstreamTokens", io.fhirlink.auth.UpstreamTokens.class).forgetAll();
        HttpResponse<String> failed = h.send("GET", "/platform-link/Patient", h.token(TENANT), null);
        assertThat(failed.statusCode()).as(failed.body()).isEqualTo(502);
        assertThat(failed.body()).contains("security").contains("AADSTS700016").contains("adminconsent")
                .doesNotContain("client secret");
    }

    @Test
    void register_withSecretOrCertificateBesidePlatform_is400() throws Exception {
        var body = body("platform-mixed", h.fhir.baseUrl(), TENANT);
        body.put("clientSecret", "not~wanted");
        HttpResponse<String> refused = post(body);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("clientSecret").contains("is not sent with");
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode body(String name, String endpoint, String tenant) {
        var body = JSON.createObjectNode();
        body.put("fhirDatabaseDisplayName", name);
        body.put("fhirServerEndpoint", endpoint);
        body.put("credential", "platform");
        return body;
    }

    private static HttpResponse<String> post(com.fasterxml.jackson.databind.node.ObjectNode body) throws Exception {
        return post(TENANT, body);
    }

    private static HttpResponse<String> post(String organization, com.fasterxml.jackson.databind.node.ObjectNode body) throws Exception {
        return h.send("POST", COLLECTION, h.token(organization), JSON.writeValueAsString(body));
    }
}
