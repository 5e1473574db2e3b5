package io.fhirlink.proxy;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import io.fhirlink.support.GatewayHarness;
import io.fhirlink.support.RecordedRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleType;
import org.hl7.fhir.r4.model.Bundle.HTTPVerb;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A stock FHIR client pointed at the gateway works as if it talked to the Azure FHIR server itself. */
class ProxyInteractionsTest {

    private static final FhirContext FHIR = FhirContext.forR4();
    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass();
    private static IGenericClient client;
    private static String gatewayBase;

    @BeforeAll
    static void linkServer() throws Exception {
        assertThat(harness.register("clinic").statusCode()).isEqualTo(201);
        gatewayBase = harness.baseUrl() + "/clinic";
        FHIR.getRestfulClientFactory().setServerValidationMode(ServerValidationModeEnum.NEVER);
        client = FHIR.newRestfulGenericClient(gatewayBase);
        client.registerInterceptor(new BearerTokenAuthInterceptor(harness.token(TENANT)));
    }

    @Test
    void hapiClient_createsReadsUpdatesAndDeletesThroughTheGateway() {
        Patient patient = new Patient();
        patient.addName().setFamily("Lifecycle").addGiven("Ada");
        MethodOutcome created = client.create().resource(patient).execute();
        IIdType id = created.getId().toUnqualifiedVersionless();
        assertThat(created.getId().getBaseUrl()).isEqualTo(gatewayBase);

        Patient read = client.read().resource(Patient.class).withId(id).execute();
        assertThat(read.getNameFirstRep().getFamily()).isEqualTo("Lifecycle");
        assertThat(read.getIdElement().getVersionIdPart()).isEqualTo("1");

        read.getNameFirstRep().setFamily("Renamed");
        MethodOutcome updated = client.update().resource(read).withId(id).execute();
        assertThat(updated.getId().getVersionIdPart()).isEqualTo("2");

        client.delete().resourceById(id).execute();
        assertThatThrownBy(() -> client.read().resource(Patient.class).withId(id).execute())
                .isInstanceOfAny(ResourceGoneException.class, ResourceNotFoundException.class);
    }

    @Test
    void update_withStaleIfMatch_isRefusedWith412() {
        Patient patient = new Patient();
        patient.addName().setFamily("Versioned");
        IIdType id = client.create().resource(patient).execute().getId().toUnqualifiedVersionless();
        Patient v1 = client.read().resource(Patient.class).withId(id).execute();
        client.update().resource(v1.copy()).withId(id).execute(); // now at version 2

        // v1 still says version 1: HAPI sends If-Match: W/"1", which the server must refuse
        assertThatThrownBy(() -> client.update().resource(v1).withId(id.withVersion("1")).execute())
                .isInstanceOf(PreconditionFailedException.class);
    }

    @Test
    void search_pagesThroughNextLinksThatStayOnTheGateway() {
        harness.fhir.seedPatients(35, "Pager");
        Bundle page = client.search().forResource(Patient.class)
                .where(Patient.FAMILY.matches().value("Pager")).count(10).returnBundle(Bundle.class).execute();
        List<String> urls = new ArrayList<>();
        int pages = 1;
        int patients = page.getEntry().size();
        collectUrls(page, urls);
        while (page.getLink(Bundle.LINK_NEXT) != null) {
            page = client.loadPage().next(page).execute();
            pages++;
            patients += page.getEntry().size();
            collectUrls(page, urls);
        }
        assertThat(pages).isGreaterThanOrEqualTo(4);
        assertThat(patients).isEqualTo(35);
        assertThat(urls).isNotEmpty().allSatisfy(url -> assertThat(url).startsWith(gatewayBase));
    }

    @Test
    void transactionBundle_reachesTheServerAndItsAnswerComesBackWhole() {
        Bundle transaction = new Bundle().setType(BundleType.TRANSACTION);
        Patient patient = new Patient();
        patient.addName().setFamily("Transacted");
        transaction.addEntry().setFullUrl("urn:uuid:11111111-2222-3333-4444-555555555555").setResource(patient)
                .getRequest().setMethod(HTTPVerb.POST).setUrl("Patient");
        Observation observation = new Observation();
        observation.setSubject(new Reference("urn:uuid:11111111-2222-3333-4444-555555555555"));
        observation.getCode().setText("heart rate");
        transaction.addEntry().setResource(observation).getRequest().setMethod(HTTPVerb.POST).setUrl("Observation");

        Bundle response = client.transaction().withBundle(transaction).execute();

        assertThat(response.getType()).isEqualTo(BundleType.TRANSACTIONRESPONSE);
        assertThat(response.getEntry()).hasSize(2)
                .allSatisfy(e -> assertThat(e.getResponse().getStatus()).startsWith("201"));
    }

    @Test
    void batchBundle_reachesTheServerAndItsAnswerComesBackWhole() {
        Bundle batch = new Bundle().setType(BundleType.BATCH);
        Patient patient = new Patient();
        patient.addName().setFamily("Batched");
        batch.addEntry().setResource(patient).getRequest().setMethod(HTTPVerb.POST).setUrl("Patient");
        batch.addEntry().getRequest().setMethod(HTTPVerb.GET).setUrl("Patient/does-not-exist");

        Bundle response = client.transaction().withBundle(batch).execute();

        assertThat(response.getType()).isEqualTo(BundleType.BATCHRESPONSE);
        assertThat(response.getEntry()).extracting(e -> e.getResponse().getStatus().substring(0, 3))
                .containsExactly("201", "404");
    }

    @Test
    void searchByPost_history_andVread_areForwarded() throws Exception {
        Patient patient = new Patient();
        patient.addName().setFamily("Historic");
        IIdType id = client.create().resource(patient).execute().getId().toUnqualifiedVersionless();
        Patient v1 = client.read().resource(Patient.class).withId(id).execute();
        client.update().resource(v1).withId(id).execute();

        Bundle history = client.history().onInstance(id).returnBundle(Bundle.class).execute();
        Patient vread = client.read().resource(Patient.class).withId(id.withVersion("1")).execute();
        Bundle postSearch = client.search().forResource(Patient.class).where(Patient.FAMILY.matches().value("Historic"))
                .usingStyle(ca.uhn.fhir.rest.api.SearchStyleEnum.POST).returnBundle(Bundle.class).execute();

        assertThat(history.getEntry()).hasSize(2);
        assertThat(vread.getIdElement().getVersionIdPart()).isEqualTo("1");
        assertThat(postSearch.getEntry()).hasSize(1);
        assertThat(harness.fhir.requests()).anySatisfy(r -> assertThat(r.pathAndQuery()).isEqualTo("/Patient/_search"));
    }

    @Test
    void postSearch_withAFormBody_findsExactlyWhatTheSameGetSearchFinds() throws Exception {
        harness.fhir.seedPatients(3, "Formsearch");
        // repeated given (AND) and a percent-encoded token: the server must read the form exactly as sent
        String form = "family=Formsearch&given=Seed&given=Seed2&identifier=urn%3Afhir-link%3Atest%7CFormsearch-2";
        harness.fhir.clearRequests();

        HttpResponse<String> byPost = harness.send("POST", "/clinic/Patient/_search", harness.token(TENANT), form,
                "Content-Type", "application/x-www-form-urlencoded");
        HttpResponse<String> byGet = harness.send("GET", "/clinic/Patient?" + form, harness.token(TENANT), null);

        assertThat(byPost.statusCode()).as(byPost.body()).isEqualTo(200);
        assertThat(entryIds(byPost.body())).hasSize(1).isEqualTo(entryIds(byGet.body()));
        RecordedRequest received = harness.fhir.requests().get(0);
        assertThat(received.bodyAsString()).isEqualTo(form);
        assertThat(received.header("Content-Type")).startsWith("application/x-www-form-urlencoded");
        assertThat(received.header("Content-Length")).isEqualTo(Integer.toString(form.length()));
    }

    @Test
    void postSearch_thatMatchesNothing_answersAnEmptyBundle() throws Exception {
        harness.fhir.seedPatients(2, "Somebody");

        HttpResponse<String> answer = harness.send("POST", "/clinic/Patient/_search", harness.token(TENANT),
                "family=Nobody&_count=1", "Content-Type", "application/x-www-form-urlencoded");

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(entryIds(answer.body())).isEmpty();
    }

    private static List<String> entryIds(String searchset) {
        Bundle bundle = FHIR.newJsonParser().parseResource(Bundle.class, searchset);
        return bundle.getEntry().stream().map(e -> e.getResource().getIdElement().getIdPart()).sorted().toList();
    }

    @Test
    void withoutCorsConfigured_aPreflightIsTreatedAsAnyRequest_andNoAnswerAllowsAnOrigin() throws Exception {
        HttpResponse<String> preflight = harness.send("OPTIONS", "/clinic/Patient", null, null,
                "Origin", "https://app.example.org", "Access-Control-Request-Method", "GET");
        HttpResponse<String> answer = harness.send("GET", "/clinic/Patient", harness.token(TENANT), null,
                "Origin", "https://app.example.org");

        assertThat(preflight.statusCode()).isEqualTo(401);
        assertThat(preflight.headers().map().keySet()).noneMatch(h -> h.startsWith("access-control-"));
        assertThat(answer.headers().map().keySet()).noneMatch(h -> h.startsWith("access-control-"));
    }

    @Test
    void queryString_reachesTheServerByteForByte() throws Exception {
        String query = "family=Q%C3%BCery&ct=eyJ0b2tlbiI6IitSSUQ6fjVxYjVBTWl4VWdBPSNSVDoxI1RSQzoxMCNJU1Y6MiNJRU86NjU1NjcjUUNGOjgjRlBDOkFnRUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE9IiwicmFuZ2UiOnsibWluIjoiIiwibWF4IjoiRkYifX0%3D&_count=10";
        harness.fhir.clearRequests();

        harness.send("GET", "/clinic/Patient?" + query, harness.token(TENANT), null);

        RecordedRequest received = harness.fhir.requests().get(0);
        assertThat(received.rawQuery()).isEqualTo(query);
    }

    private static void collectUrls(Bundle bundle, List<String> urls) {
        bundle.getLink().forEach(l -> urls.add(l.getUrl()));
        bundle.getEntry().forEach(e -> urls.add(e.getFullUrl()));
    }
}
