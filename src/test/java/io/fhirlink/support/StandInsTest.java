package io.fhirlink.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import com.microsoft.aad.msal4j.ClientCredentialFactory;
import com.microsoft.aad.msal4j.ClientCredentialParameters;
import com.microsoft.aad.msal4j.ConfidentialClientApplication;
import com.microsoft.aad.msal4j.IAuthenticationResult;
import com.microsoft.aad.msal4j.MsalServiceException;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Proves the stand-ins behave like Azure AD and an Azure FHIR server before gateway tests rely on them. */
class StandInsTest {

    private static final String TENANT = "11111111-aaaa-4bbb-8ccc-000000000001";
    private static final String WRITER_ID = "22222222-0000-0000-0000-000000000001";
    private static final String WRITER_SECRET = "writer~secret";
    private static final String READER_ID = "22222222-0000-0000-0000-000000000002";
    private static final String READER_SECRET = "no-role~secret";

    private static final IParser JSON = FhirContext.forR4Cached().newJsonParser();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .sslContext(TestCertificates.clientSslContext())
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    private static AzureAdStandIn aad;
    private static AzureFhirStandIn fhir;

    @BeforeAll
    static void start() {
        aad = AzureAdStandIn.start();
        aad.registerApp(TENANT, WRITER_ID, WRITER_SECRET, true);
        aad.registerApp(TENANT, READER_ID, READER_SECRET, false);
        fhir = AzureFhirStandIn.start(aad, TENANT);
    }

    @AfterAll
    static void stop() {
        fhir.close();
        aad.close();
    }

    @BeforeEach
    void clean() {
        fhir.reset();
        aad.resetCounters();
        aad.setAvailable(true);
    }

    // ---------------------------------------------------------------- Azure FHIR

    @Test
    void metadata_isAnonymousAndAdvertisesTokenUrl() throws Exception {
        HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create(fhir.baseUrl() + "/metadata")).GET());

        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/fhir+json"));
        CapabilityStatement cs = JSON.parseResource(CapabilityStatement.class, res.body());
        Extension oauth = cs.getRestFirstRep().getSecurity().getExtensionByUrl(AzureFhirStandIn.OAUTH_URIS);
        assertThat(oauth.getExtensionByUrl("token").getValue().primitiveValue())
                .isEqualTo(aad.authorityHost() + "/" + TENANT + "/oauth2/v2.0/token");
        assertThat(oauth.getExtensionByUrl("authorize").getValue().primitiveValue())
                .isEqualTo(aad.authorityHost() + "/" + TENANT + "/oauth2/v2.0/authorize");
    }

    @Test
    void tokenFromAad_allowsPatientCreateAndRead() throws Exception {
        String token = fetchToken(WRITER_ID, WRITER_SECRET, fhir.scope()).get("access_token").toString();
        Patient patient = new Patient();
        patient.addName().setFamily("Curie").addGiven("Marie");

        HttpResponse<String> created = send(fhirRequest("/Patient", token)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.encodeResourceToString(patient))));

        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("x-ms-request-charge")).hasValue("1.0");
        String location = created.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith(fhir.baseUrl() + "/Patient/").endsWith("/_history/1");
        String id = JSON.parseResource(Patient.class, created.body()).getIdElement().getIdPart();

        HttpResponse<String> read = send(fhirRequest("/Patient/" + id, token).GET());
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.headers().firstValue("ETag")).hasValue("W/\"1\"");
        assertThat(JSON.parseResource(Patient.class, read.body()).getNameFirstRep().getFamily()).isEqualTo("Curie");

        RecordedRequest post = fhir.requests().get(0);
        assertThat(post.method()).isEqualTo("POST");
        assertThat(post.path()).isEqualTo("/Patient");
        assertThat(post.header("authorization")).isEqualTo("Bearer " + token);
        assertThat(post.bodyAsString()).contains("Curie");
    }

    @Test
    void requestWithoutToken_isRejectedWith401Login() throws Exception {
        HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create(fhir.baseUrl() + "/Patient")).GET());

        assertThat(res.statusCode()).isEqualTo(401);
        assertIssue(res, OperationOutcome.IssueType.LOGIN, "Authentication failed.");
        assertThat(res.headers().firstValue("WWW-Authenticate")).isEmpty();
    }

    @Test
    void tokenForAnotherAudience_isRejectedWithInvalidAudienceChallenge() throws Exception {
        String token = fetchToken(WRITER_ID, WRITER_SECRET, "https://other.azurehealthcareapis.com/.default")
                .get("access_token").toString();

        HttpResponse<String> res = send(fhirRequest("/Patient", token).GET());

        assertThat(res.statusCode()).isEqualTo(401);
        assertIssue(res, OperationOutcome.IssueType.LOGIN, "Authentication failed.");
        assertThat(res.headers().firstValue("WWW-Authenticate"))
                .hasValue("Bearer error=\"invalid_token\", error_description=\"The audience is invalid\"");
    }

    @Test
    void tokenWithoutWriterRole_isForbidden() throws Exception {
        String token = fetchToken(READER_ID, READER_SECRET, fhir.scope()).get("access_token").toString();

        HttpResponse<String> res = send(fhirRequest("/Patient", token).GET());

        assertThat(res.statusCode()).isEqualTo(403);
        assertIssue(res, OperationOutcome.IssueType.FORBIDDEN, "Authorization failed.");
    }

    @Test
    void search_pagesWithNextLinksOnBaseUrl() throws Exception {
        fhir.seedPatients(35, "Paged");
        fhir.seedPatients(3, "Other");
        String token = writerToken();

        List<String> ids = new ArrayList<>();
        int pages = 0;
        String url = fhir.baseUrl() + "/Patient?family=Paged";
        while (url != null) {
            HttpResponse<String> res = send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).GET());
            assertThat(res.statusCode()).isEqualTo(200);
            Bundle page = JSON.parseResource(Bundle.class, res.body());
            page.getEntry().forEach(e -> ids.add(e.getResource().getIdElement().getIdPart()));
            pages++;
            url = page.getLink("next") == null ? null : page.getLink("next").getUrl();
            if (url != null) {
                assertThat(url).startsWith(fhir.baseUrl());
            }
        }

        assertThat(pages).isEqualTo(4);
        assertThat(ids).hasSize(35).doesNotHaveDuplicates();
    }

    @Test
    void update_withStaleIfMatch_isRefusedWith412() throws Exception {
        String id = fhir.seedPatients(1, "Locked").get(0);
        String token = writerToken();
        Patient changed = new Patient();
        changed.setId(id);
        changed.addName().setFamily("Locked2");
        String body = JSON.encodeResourceToString(changed);

        HttpResponse<String> fresh = send(fhirRequest("/Patient/" + id, token).header("If-Match", "W/\"1\"")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
        HttpResponse<String> stale = send(fhirRequest("/Patient/" + id, token).header("If-Match", "W/\"1\"")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));

        assertThat(fresh.statusCode()).isEqualTo(200);
        assertThat(fresh.headers().firstValue("ETag")).hasValue("W/\"2\"");
        assertThat(stale.statusCode()).isEqualTo(412);
        HttpResponse<String> history = send(fhirRequest("/Patient/" + id + "/_history", token).GET());
        assertThat(JSON.parseResource(Bundle.class, history.body()).getEntry()).hasSize(2);
    }

    @Test
    void transaction_createsLinkedResourcesAtomically() throws Exception {
        Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Patient patient = new Patient();
        patient.addName().setFamily("Linked");
        tx.addEntry().setFullUrl("urn:uuid:0a1b").setResource(patient)
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
        Observation obs = new Observation().setSubject(new Reference("urn:uuid:0a1b"));
        tx.addEntry().setResource(obs).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Observation");
        String token = writerToken();

        HttpResponse<String> res = send(fhirRequest("", token)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.encodeResourceToString(tx))));

        assertThat(res.statusCode()).isEqualTo(200);
        Bundle answer = JSON.parseResource(Bundle.class, res.body());
        assertThat(answer.getType()).isEqualTo(Bundle.BundleType.TRANSACTIONRESPONSE);
        assertThat(answer.getEntry()).allSatisfy(e -> assertThat(e.getResponse().getStatus()).startsWith("201"));
        String patientId = answer.getEntry().get(0).getResponse().getLocation().split("/")[1];
        HttpResponse<String> search = send(fhirRequest("/Observation?subject=Patient/" + patientId, token).GET());
        assertThat(JSON.parseResource(Bundle.class, search.body()).getEntry()).hasSize(1);
    }

    @Test
    void rejectNextTokens_rejectsExactlyThatManyValidRequests() throws Exception {
        String token = writerToken();
        fhir.rejectNextTokens(2);

        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            statuses.add(send(fhirRequest("/Patient", token).GET()).statusCode());
        }

        assertThat(statuses).containsExactly(401, 401, 200);
    }

    @Test
    void throttleNext_answers429WithAzureRetryHeaders() throws Exception {
        String token = writerToken();
        fhir.throttleNext(1);

        HttpResponse<String> throttled = send(fhirRequest("/Patient", token).GET());
        HttpResponse<String> after = send(fhirRequest("/Patient", token).GET());

        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(throttled.headers().firstValue("x-ms-retry-after-ms")).hasValue("2000");
        assertIssue(throttled, OperationOutcome.IssueType.THROTTLED, null);
        assertThat(after.statusCode()).isEqualTo(200);
    }

    // ---------------------------------------------------------------- Azure AD

    @Test
    void unknownTenant_answersAadsts90002() throws Exception {
        assertAadError(tokenPost("no-such-tenant", WRITER_ID, WRITER_SECRET, fhir.scope()), 400, "invalid_request", 90002);
    }

    @Test
    void unknownClient_answersAadsts700016() throws Exception {
        assertAadError(tokenPost(TENANT, "unknown-client", "x", fhir.scope()), 400, "unauthorized_client", 700016);
    }

    @Test
    void wrongSecret_answersAadsts7000215() throws Exception {
        HttpResponse<String> res = tokenPost(TENANT, WRITER_ID, "wrong", fhir.scope());
        assertAadError(res, 401, "invalid_client", 7000215);
        assertThat(JSONObjectUtils.parse(res.body()).get("error_description").toString())
                .startsWith("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is "
                        + "the client secret value, not the client secret ID, for a secret added to app '" + WRITER_ID + "'.");
    }

    @Test
    void expiredSecret_answersAadsts7000222() throws Exception {
        aad.registerApp(TENANT, "expiring-app", "s", true);
        aad.expireSecret("expiring-app");
        assertAadError(tokenPost(TENANT, "expiring-app", "s", fhir.scope()), 401, "invalid_client", 7000222);
    }

    @Test
    void token_carriesAzureClaimsAndCountsEveryPost() throws Exception {
        Map<String, Object> answer = fetchToken(WRITER_ID, WRITER_SECRET, fhir.scope());
        tokenPost(TENANT, WRITER_ID, "wrong", fhir.scope());

        assertThat(answer).containsEntry("token_type", "Bearer").containsKeys("expires_in", "ext_expires_in");
        assertThat(((Number) answer.get("expires_in")).intValue()).isEqualTo(3599);
        SignedJWT jwt = SignedJWT.parse(answer.get("access_token").toString());
        assertThat(jwt.verify(new RSASSAVerifier(aad.upstreamSigningKey()))).isTrue();
        assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly(fhir.baseUrl());
        assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo("https://sts.windows.net/" + TENANT + "/");
        assertThat(jwt.getJWTClaimsSet().getStringClaim("appid")).isEqualTo(WRITER_ID);
        assertThat(jwt.getJWTClaimsSet().getStringListClaim("roles")).containsExactly("FHIR Data Writer");
        assertThat(aad.tokenRequests()).isEqualTo(2);
    }

    @Test
    void unavailableAad_answers503() throws Exception {
        aad.setAvailable(false);
        assertThat(tokenPost(TENANT, WRITER_ID, WRITER_SECRET, fhir.scope()).statusCode()).isEqualTo(503);
        assertThat(aad.tokenRequests()).isEqualTo(1);
    }

    @Test
    void tokenEndpoint_servesTwoHundredConcurrentRequests() {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            calls.add(HTTP.sendAsync(tokenRequest(TENANT, WRITER_ID, WRITER_SECRET, fhir.scope()), HttpResponse.BodyHandlers.ofString()));
        }

        assertThat(calls).allSatisfy(c -> assertThat(c.join().statusCode()).isEqualTo(200));
        assertThat(aad.tokenRequests()).isEqualTo(200);
    }

    @Test
    void msal4j_acquiresTokenFromStandIn() throws Exception {
        IAuthenticationResult result = msal(WRITER_ID, WRITER_SECRET)
                .acquireToken(ClientCredentialParameters.builder(Set.of(fhir.scope())).build()).get();

        assertThat(SignedJWT.parse(result.accessToken()).getJWTClaimsSet().getAudience()).containsExactly(fhir.baseUrl());
        assertThat(send(fhirRequest("/Patient", result.accessToken()).GET()).statusCode()).isEqualTo(200);
    }

    @Test
    void msal4j_wrongSecret_surfacesAadsts7000215() throws Exception {
        ConfidentialClientApplication app = msal(WRITER_ID, "wrong");

        assertThatThrownBy(() -> app.acquireToken(ClientCredentialParameters.builder(Set.of(fhir.scope())).build()).get())
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(MsalServiceException.class)
                .hasMessageContaining("AADSTS7000215");
    }

    @Test
    void callerToken_verifiesAgainstPublishedJwksAndHostileOnesDoNot() throws Exception {
        HttpResponse<String> jwks = send(HttpRequest.newBuilder(URI.create(aad.jwksUrl())).GET());
        RSAKey key = JWKSet.parse(jwks.body()).getKeys().get(0).toRSAKey();

        SignedJWT good = SignedJWT.parse(aad.callerToken("t1", "alice"));
        SignedJWT unknownKey = SignedJWT.parse(aad.callerTokenBuilder("t1", "alice").signedWithUnknownKey().build());
        SignedJWT forged = SignedJWT.parse(aad.callerTokenBuilder("t1", "alice").forgedWithKnownKid().build());
        SignedJWT expired = SignedJWT.parse(aad.callerTokenBuilder("t1", "alice")
                .expiresAt(Instant.now().minusSeconds(60)).audience("api://other").build());

        assertThat(aad.jwksRequests()).isEqualTo(1);
        assertThat(good.getHeader().getKeyID()).isEqualTo(key.getKeyID());
        assertThat(good.verify(new RSASSAVerifier(key))).isTrue();
        assertThat(good.getJWTClaimsSet().getIssuer()).isEqualTo(aad.callerIssuer("t1"));
        assertThat(good.getJWTClaimsSet().getAudience()).containsExactly("api://fhir-link");
        assertThat(good.getJWTClaimsSet().getStringClaim("tid")).isEqualTo("t1");
        assertThat(unknownKey.getHeader().getKeyID()).isNotEqualTo(key.getKeyID());
        assertThat(unknownKey.verify(new RSASSAVerifier(key))).isFalse();
        assertThat(forged.getHeader().getKeyID()).isEqualTo(key.getKeyID());
        assertThat(forged.verify(new RSASSAVerifier(key))).isFalse();
        assertThat(expired.getJWTClaimsSet().getExpirationTime()).isBefore(Instant.now());
        assertThat(expired.getJWTClaimsSet().getAudience()).containsExactly("api://other");
    }

    @Test
    void trustPem_isAReadableCertificateFile() throws Exception {
        assertThat(Files.readString(TestCertificates.trustPem())).startsWith("-----BEGIN CERTIFICATE-----");
    }

    // ---------------------------------------------------------------- helpers

    private static ConfidentialClientApplication msal(String clientId, String secret) throws Exception {
        return ConfidentialClientApplication.builder(clientId, ClientCredentialFactory.createFromSecret(secret))
                .authority(aad.authorityHost() + "/" + TENANT)
                .instanceDiscovery(false)
                .sslSocketFactory(TestCertificates.clientSslContext().getSocketFactory())
                .connectTimeoutForDefaultHttpClient(5_000)
                .readTimeoutForDefaultHttpClient(5_000)
                .build();
    }

    private static String writerToken() throws Exception {
        return fetchToken(WRITER_ID, WRITER_SECRET, fhir.scope()).get("access_token").toString();
    }

    private static Map<String, Object> fetchToken(String clientId, String secret, String scope) throws Exception {
        HttpResponse<String> res = tokenPost(TENANT, clientId, secret, scope);
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return JSONObjectUtils.parse(res.body());
    }

    private static HttpResponse<String> tokenPost(String tenant, String clientId, String secret, String scope) throws Exception {
        return HTTP.send(tokenRequest(tenant, clientId, secret, scope), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest tokenRequest(String tenant, String clientId, String secret, String scope) {
        String form = "grant_type=client_credentials&client_id=" + enc(clientId) + "&client_secret=" + enc(secret)
                + "&scope=" + enc(scope);
        return HttpRequest.newBuilder(URI.create(aad.authorityHost() + "/" + tenant + "/oauth2/v2.0/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build();
    }

    private static void assertAadError(HttpResponse<String> res, int status, String error, int code) throws Exception {
        assertThat(res.statusCode()).isEqualTo(status);
        Map<String, Object> body = JSONObjectUtils.parse(res.body());
        assertThat(body).containsEntry("error", error)
                .containsKeys("error_description", "error_codes", "timestamp", "trace_id", "correlation_id");
        assertThat(body.get("error_description").toString()).startsWith("AADSTS" + code + ": ");
        assertThat((List<?>) body.get("error_codes")).singleElement()
                .satisfies(c -> assertThat(((Number) c).intValue()).isEqualTo(code));
    }

    private static void assertIssue(HttpResponse<String> res, OperationOutcome.IssueType code, String diagnostics) {
        assertThat(res.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/fhir+json"));
        OperationOutcome.OperationOutcomeIssueComponent issue =
                JSON.parseResource(OperationOutcome.class, res.body()).getIssueFirstRep();
        assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
        assertThat(issue.getCode()).isEqualTo(code);
        if (diagnostics != null) {
            assertThat(issue.getDiagnostics()).isEqualTo(diagnostics);
        }
    }

    private static HttpRequest.Builder fhirRequest(String path, String token) {
        return HttpRequest.newBuilder(URI.create(fhir.baseUrl() + path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/fhir+json")
                .header("Accept", "application/fhir+json");
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
