package io.fhirlink.lifecycle;

import static io.fhirlink.support.GatewayHarness.CLIENT_ID;
import static io.fhirlink.support.GatewayHarness.CLIENT_SECRET;
import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * GET (list, one), PUT and DELETE of /FhirServers/aadfhirrecord end to end on one gateway: ownership (404 across
 * organizations), ETag/If-Match (412), the re-probe on PUT (a failed one changes nothing) and secret rotation.
 */
class LinkLifecycleTest {

    private static final String COLLECTION = "/FhirServers/aadfhirrecord";
    /** An application of its own, so rotating its secret touches no other test. */
    private static final String ROTATING_CLIENT_ID = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d";
    private static final String FIRST_SECRET = "first~rotating.secret_1";
    private static final String SECOND_SECRET = "second~rotating.secret_2";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final GatewayHarness h = GatewayHarness.forClass();

    @BeforeAll
    static void start() throws Exception {
        h.aad.registerApp(TENANT, ROTATING_CLIENT_ID, FIRST_SECRET, true);
        h.fhir.seedPatients(1, "Lifecycle");
    }

    // ---------------------------------------------------------------- GET

    @Test
    void list_showsOnlyTheCallerOrganizationsLinks() throws Exception {
        registered("list-own-a");
        registered("list-own-b");
        HttpResponse<String> foreign = h.send("POST", COLLECTION, h.token(OTHER_TENANT), h.registration("list-foreign"));
        assertThat(foreign.statusCode()).as(foreign.body()).isEqualTo(201);

        HttpResponse<String> list = h.send("GET", COLLECTION, h.token(TENANT), null);

        List<String> names = new ArrayList<>();
        json(list).forEach(link -> names.add(link.path("fhirDatabaseDisplayName").asText()));
        assertThat(names).contains("list-own-a", "list-own-b").doesNotContain("list-foreign");
    }

    @Test
    void get_answersTheLinkWithItsVersionAsWeakETag() throws Exception {
        registered("get-etag");

        HttpResponse<String> link = h.send("GET", COLLECTION + "/get-etag", h.token(TENANT), null);

        assertThat(link.headers().firstValue("ETag")).as(link.body()).hasValue("W/\"1\"");
    }

    @Test
    void get_answers404ForAnotherOrganizationsLink() throws Exception {
        registered("get-foreign");

        HttpResponse<String> link = h.send("GET", COLLECTION + "/get-foreign", h.token(OTHER_TENANT), null);

        assertThat(link.statusCode()).isEqualTo(404);
    }

    // ---------------------------------------------------------------- PUT

    @Test
    void update_answers200WithTheNewSettingsAndTheNextVersion() throws Exception {
        registered("put-ok");

        HttpResponse<String> updated = h.send("PUT", COLLECTION + "/put-ok", h.token(TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(CLIENT_ID, CLIENT_SECRET).description("renamed description").json());

        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        JsonNode link = json(updated);
        assertThat(link.path("description").asText()).isEqualTo("renamed description");
        assertThat(link.path("version").asLong()).isEqualTo(2);
        assertThat(updated.headers().firstValue("ETag")).hasValue("W/\"2\"");
    }

    @Test
    void update_neverAnswersTheClientSecret() throws Exception {
        registered("put-no-secret");

        HttpResponse<String> updated = h.send("PUT", COLLECTION + "/put-no-secret", h.token(TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(CLIENT_ID, CLIENT_SECRET).description("x").json());

        assertThat(updated.statusCode()).isEqualTo(200);
        assertThat(updated.body()).doesNotContain(CLIENT_SECRET).doesNotContain("\"clientSecret\"");
    }

    @Test
    void update_answers404ForAnotherOrganizationsLinkAndChangesNothing() throws Exception {
        registered("put-foreign");

        HttpResponse<String> updated = h.send("PUT", COLLECTION + "/put-foreign", h.token(OTHER_TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(CLIENT_ID, CLIENT_SECRET).description("taken over").json());

        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(404);
        assertThat(json(h.send("GET", COLLECTION + "/put-foreign", h.token(TENANT), null)).path("version").asLong())
                .isEqualTo(1);
    }

    @Test
    void update_answers404ForAnUnknownLink() throws Exception {
        HttpResponse<String> updated = h.send("PUT", COLLECTION + "/put-never-registered", h.token(TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(CLIENT_ID, CLIENT_SECRET).description("x").json());

        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(404);
    }

    @Test
    void update_withStaleIfMatchAnswers412AndChangesNothing() throws Exception {
        registered("put-stale");
        HttpResponse<String> first = h.send("PUT", COLLECTION + "/put-stale", h.token(TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(CLIENT_ID, CLIENT_SECRET).description("first admin").json(), "If-Match", "W/\"1\"");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);

        HttpResponse<String> second = h.send("PUT", COLLECTION + "/put-stale", h.token(TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(CLIENT_ID, CLIENT_SECRET).description("second admin").json(), "If-Match", "W/\"1\"");

        assertThat(second.statusCode()).as(second.body()).isEqualTo(412);
        assertThat(second.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(h.send("GET", COLLECTION + "/put-stale", h.token(TENANT), null)).path("description").asText())
                .isEqualTo("first admin");
    }

    @Test
    void update_withCurrentIfMatchSucceeds() throws Exception {
        registered("put-current");
        String etag = h.send("GET", COLLECTION + "/put-current", h.token(TENANT), null).headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> updated = h.send("PUT", COLLECTION + "/put-current", h.token(TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(CLIENT_ID, CLIENT_SECRET).description("conditional").json(), "If-Match", etag);

        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
    }

    @Test
    void update_withAFailedProbeAnswers400AndLeavesTheOldLinkWorking() throws Exception {
        registered("put-bad-secret");

        HttpResponse<String> updated = h.send("PUT", COLLECTION + "/put-bad-secret", h.token(TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(CLIENT_ID, "wrong~secret").description("should not stick").json());

        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(400);
        assertThat(json(updated).path("detail").asText()).contains("Azure AD refused");
        HttpResponse<String> proxied = h.send("GET", "/put-bad-secret/Patient", h.token(TENANT), null);
        assertThat(proxied.statusCode()).as(proxied.body()).isEqualTo(200);
        assertThat(json(h.send("GET", COLLECTION + "/put-bad-secret", h.token(TENANT), null)).path("version").asLong())
                .isEqualTo(1);
    }

    @Test
    void update_rotatesTheSecretTheProxyUsesAtOnce() throws Exception {
        HttpResponse<String> created = h.send("POST", COLLECTION, h.token(TENANT),
                LinkBody.registration("put-rotation", h.fhir.baseUrl()).client(ROTATING_CLIENT_ID, FIRST_SECRET).json());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(h.send("GET", "/put-rotation/Patient", h.token(TENANT), null).statusCode()).isEqualTo(200);
        // Azure AD: a new secret replaces the old one, which is refused from now on
        h.aad.registerApp(TENANT, ROTATING_CLIENT_ID, SECOND_SECRET, true);

        HttpResponse<String> rotated = h.send("PUT", COLLECTION + "/put-rotation", h.token(TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(ROTATING_CLIENT_ID, SECOND_SECRET).description("rotated").json());
        assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
        long probeRequests = secretUses(SECOND_SECRET);
        HttpResponse<String> proxied = h.send("GET", "/put-rotation/Patient", h.token(TENANT), null);

        assertThat(proxied.statusCode()).as(proxied.body()).isEqualTo(200);
        assertThat(secretUses(SECOND_SECRET)).as("token requests with the new secret after the update")
                .isEqualTo(probeRequests + 1);
    }

    // ---------------------------------------------------------------- DELETE

    @Test
    void delete_answers404ForAnotherOrganizationsLinkAndKeepsIt() throws Exception {
        registered("delete-foreign");

        HttpResponse<String> deleted = h.send("DELETE", COLLECTION + "/delete-foreign", h.token(OTHER_TENANT), null);

        assertThat(deleted.statusCode()).isEqualTo(404);
        assertThat(h.send("GET", COLLECTION + "/delete-foreign", h.token(TENANT), null).statusCode()).isEqualTo(200);
    }

    @Test
    void delete_withStaleIfMatchAnswers412AndKeepsTheLink() throws Exception {
        registered("delete-stale");
        assertThat(h.send("PUT", COLLECTION + "/delete-stale", h.token(TENANT),
                LinkBody.writerOf(h.fhir.baseUrl()).client(CLIENT_ID, CLIENT_SECRET).description("moved on").json()).statusCode()).isEqualTo(200);

        HttpResponse<String> deleted = h.send("DELETE", COLLECTION + "/delete-stale", h.token(TENANT), null, "If-Match", "W/\"1\"");

        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(412);
        assertThat(deleted.headers().firstValue("ETag")).hasValue("W/\"2\"");
        assertThat(h.send("GET", "/delete-stale/Patient", h.token(TENANT), null).statusCode()).isEqualTo(200);
    }

    @Test
    void delete_withCurrentIfMatchAnswers204() throws Exception {
        registered("delete-current");

        HttpResponse<String> deleted = h.send("DELETE", COLLECTION + "/delete-current", h.token(TENANT), null, "If-Match", "W/\"1\"");

        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
    }

    @Test
    void delete_unlinksAtOnceAndFreesTheName() throws Exception {
        registered("delete-reuse");
        assertThat(h.send("GET", "/delete-reuse/Patient", h.token(TENANT), null).statusCode()).isEqualTo(200);

        assertThat(h.send("DELETE", COLLECTION + "/delete-reuse", h.token(TENANT), null).statusCode()).isEqualTo(204);

        assertThat(h.send("GET", "/delete-reuse/Patient", h.token(TENANT), null).statusCode()).isEqualTo(404);
        assertThat(h.register("delete-reuse").statusCode()).isEqualTo(201);
    }

    // ---------------------------------------------------------------- helpers

    private static void registered(String name) throws Exception {
        HttpResponse<String> created = h.register(name);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    private static long secretUses(String secret) {
        return h.aad.tokenRequestForms().stream().map(form -> form.get("client_secret")).filter(secret::equals).count();
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }
}
