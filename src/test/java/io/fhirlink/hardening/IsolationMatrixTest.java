package io.fhirlink.hardening;

import static io.fhirlink.hardening.Hardening.assertOperationOutcome;
import static io.fhirlink.hardening.Hardening.assertProblem;
import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.LinkBody;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Organization B tries every management and FHIR operation on organization A's link. Each answers exactly as an
 * unknown name does (404, no existence leak), nothing reaches A's FHIR server, and A's link row and data are
 * unchanged afterwards.
 */
@Timeout(value = 60)
class IsolationMatrixTest {

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass(Map.of());
    private static String tokenA;
    private static String tokenB;
    private static String patientId;
    private String rowBefore;
    private String dataBefore;

    @BeforeAll
    static void start() throws Exception {
        assertThat(harness.register("alpha").statusCode()).isEqualTo(201);
        tokenA = harness.token(TENANT);
        tokenB = harness.token(OTHER_TENANT);
        patientId = harness.fhir.seedPatients(1, "AlphaOnly").get(0);
    }

    @BeforeEach
    void snapshot() throws Exception {
        rowBefore = linkRow("alpha");
        dataBefore = harness.send("GET", "/alpha/Patient/" + patientId, tokenA, null).body();
        harness.fhir.clearRequests();
    }

    @AfterEach
    void organizationAsLinkAndDataUnchanged() throws Exception {
        assertThat(harness.fhir.requests()).as("requests that reached A's FHIR server").isEmpty();
        assertThat(linkRow("alpha")).isEqualTo(rowBefore);
        assertThat(harness.send("GET", "/alpha/Patient/" + patientId, tokenA, null).body()).isEqualTo(dataBefore);
        assertThat(harness.send("GET", "/alpha/Patient?family=Intruder", tokenA, null).body()).contains("\"total\":0");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "GET    | /FhirServers/aadfhirrecord/alpha |",
            "DELETE | /FhirServers/aadfhirrecord/alpha |",
            "PUT    | /FhirServers/aadfhirrecord/alpha | UPDATE",
    })
    void otherOrganization_managementOperationOnTheLink_is404LikeAnUnknownName(String method, String path, String body) throws Exception {
        String payload = body == null ? null : LinkBody.writerOf(harness.fhir.baseUrl())
                .client(GatewayHarness.CLIENT_ID, "stolen").description("taken over").json();

        HttpResponse<String> answer = harness.send(method, path, tokenB, payload);
        HttpResponse<String> unknown = harness.send(method, path.replace("alpha", "alpha-nowhere"), tokenB, payload);

        assertProblem(answer, 404);
        assertThat(Hardening.json(answer).path("detail").asText())
                .isEqualTo(Hardening.json(unknown).path("detail").asText().replace("alpha-nowhere", "alpha"));
    }

    @Test
    void otherOrganization_listDoesNotShowTheLink() throws Exception {
        HttpResponse<String> list = harness.send("GET", "/FhirServers/aadfhirrecord", tokenB, null);

        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(Hardening.json(list).isArray()).isTrue();
        assertThat(list.body()).doesNotContain("alpha");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "GET    | /alpha/Patient/{id}                         |",
            "GET    | /alpha/Patient/{id}/_history/1              |",
            "GET    | /alpha/Patient?family=AlphaOnly             |",
            "GET    | /alpha/Patient/{id}/_history                |",
            "GET    | /alpha/_history                             |",
            "GET    | /alpha/metadata                             |",
            "GET    | /alpha                                      |",
            "POST   | /alpha/Patient/_search                      | FORM",
            "POST   | /alpha/Patient                              | PATIENT",
            "PUT    | /alpha/Patient/{id}                         | PATIENT",
            "PATCH  | /alpha/Patient/{id}                         | PATCH",
            "DELETE | /alpha/Patient/{id}                         |",
            "POST   | /alpha                                      | BATCH",
            "POST   | /alpha/Patient/$validate                    | PATIENT",
            "GET    | /ALPHA/Patient/{id}                         |",
    })
    void otherOrganization_fhirOperationOnTheLink_is404LikeAnUnknownName(String method, String pathTemplate, String bodyKind) throws Exception {
        String path = pathTemplate.replace("{id}", patientId);
        String[] typed = bodyKind == null ? new String[0] : switch (bodyKind) {
            case "FORM" -> new String[] {"Content-Type", "application/x-www-form-urlencoded"};
            case "PATCH" -> new String[] {"Content-Type", "application/json-patch+json"};
            default -> new String[] {"Content-Type", "application/fhir+json"};
        };
        String body = bodyKind == null ? null : switch (bodyKind) {
            case "FORM" -> "family=AlphaOnly";
            case "PATCH" -> "[{\"op\":\"replace\",\"path\":\"/name/0/family\",\"value\":\"Intruder\"}]";
            case "BATCH" -> "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"request\":{\"method\":\"DELETE\",\"url\":\"Patient/" + patientId + "\"}}]}";
            default -> "{\"resourceType\":\"Patient\",\"id\":\"" + patientId + "\",\"name\":[{\"family\":\"Intruder\"}]}";
        };

        HttpResponse<String> answer = harness.send(method, path, tokenB, body, typed);
        HttpResponse<String> unknown = harness.send(method, path.replaceFirst("(?i)/alpha", "/alpha-nowhere"), tokenB, body, typed);

        assertOperationOutcome(answer, 404, "not-found");
        assertOperationOutcome(unknown, 404, "not-found");
        assertThat(answer.body().replace("alpha", "X")).isEqualTo(unknown.body().replace("alpha-nowhere", "X").replace("ALPHA-NOWHERE", "X"));
    }

    private static String linkRow(String name) throws Exception {
        try (Connection db = harness.gateway().database().dataSource().getConnection();
                Statement select = db.createStatement();
                ResultSet row = select.executeQuery("select * from fhir_link where display_name = '" + name + "'")) {
            StringBuilder text = new StringBuilder();
            ResultSetMetaData columns = row.getMetaData();
            while (row.next()) {
                for (int i = 1; i <= columns.getColumnCount(); i++) {
                    text.append(columns.getColumnName(i)).append('=').append(row.getString(i)).append(';');
                }
            }
            assertThat(text).isNotEmpty();
            return text.toString();
        }
    }
}
