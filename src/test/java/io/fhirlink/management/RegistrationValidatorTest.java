package io.fhirlink.management;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fhirlink.config.Settings;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.upstream.EndpointPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The registration (and update) body rules, field by field, as the validator reads them: every problem at once, each
 * naming its field. The gateway's own wiring of these answers (400 problem+json) is proved end to end in
 * {@code RegistrationTest}; this class holds the cases.
 */
@Tag("unit")
class RegistrationValidatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ENDPOINT = "https://127.0.0.1:8443";
    private static final String CLIENT_ID = "6b1c3e2a-5d4f-4a7b-9c8d-0e1f2a3b4c5d";
    private static final String SECRET = "test~client~secret";

    /** As the end-to-end gateway runs: loopback hosts allowed, private addresses too. */
    private final RegistrationValidator validator = validator(Map.of(
            "FHIRLINK_ALLOWED_FHIR_HOSTS", "127.0.0.1,localhost", "FHIRLINK_ALLOW_PRIVATE_ADDRESSES", "true"));

    // ---------------------------------------------------------------- the body as a whole

    @Test
    void register_rejectsBodyThatIsNotJson() {
        assertThatThrownBy(() -> parse("{\"fhirDatabaseDisplayName\": \"not-json\","))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.detail()).contains("not valid JSON");
                });
    }

    @Test
    void register_rejectsFormEncodedBodyAsNotJson() {
        assertRefused400(() -> parse("fhirDatabaseDisplayName=form-link&clientId=" + CLIENT_ID));
    }

    @Test
    void register_rejectsMultipartBodyAsNotJson() {
        assertRefused400(() -> parse("--b\r\nContent-Disposition: form-data; name=\"clientId\"\r\n\r\n" + CLIENT_ID + "\r\n--b--\r\n"));
    }

    @Test
    void register_rejectsBodyOver64KiBAs413() {
        assertThatThrownBy(() -> parse("{\"description\":\"" + "x".repeat(65 * 1024) + "\"}"))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(413));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("badInputs")
    void register_refusesBadInputWith4xx(String label, String body) {
        assertThatThrownBy(() -> validator.validate(parse(body), null)).as(label)
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).as(label).isBetween(400, 499));
    }

    /** The inputs {@code RegistrationTest.register_neverAnswers5xxForBadInput} sent through a gateway. */
    static Stream<Arguments> badInputs() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        return Stream.of(
                Arguments.of("empty body", ""),
                Arguments.of("JSON null", "null"),
                Arguments.of("JSON array", "[]"),
                Arguments.of("JSON string", "\"link\""),
                Arguments.of("deeply nested JSON", deep),
                Arguments.of("duplicate key", "{\"clientId\": \"a\", \"clientId\": \"b\"}"),
                Arguments.of("number for a name", "{\"fhirDatabaseDisplayName\": 5, \"fhirServerEndpoint\": true, \"clientId\": [], \"clientSecret\": {}}"),
                Arguments.of("non-ASCII name", body("l\u00efnk-\u2603", "https://127.0.0.1:1", CLIENT_ID, SECRET, null)),
                Arguments.of("control characters", body("ctl-name", "https://127.0.0.1:1/\u0000", CLIENT_ID, "a\u0001b", null)),
                Arguments.of("empty endpoint host", body("empty-host", "https://", CLIENT_ID, SECRET, null)),
                Arguments.of("unparsable endpoint", body("bad-url", "https://[::1", CLIENT_ID, SECRET, null)),
                Arguments.of("endpoint port out of range", body("port-range", "https://127.0.0.1:99999", CLIENT_ID, SECRET, null)),
                Arguments.of("endpoint port zero", body("port-zero", "https://127.0.0.1:0", CLIENT_ID, SECRET, null)),
                Arguments.of("endpoint with dot segments", body("dot-path", "https://127.0.0.1:1/a/../b", CLIENT_ID, SECRET, null)),
                Arguments.of("unknown domain tenant", body("domain-tenant", "https://example.org", CLIENT_ID, SECRET, "contoso.onmicrosoft.com")),
                Arguments.of("clientSecret of 10k chars", body("huge-secret", "https://127.0.0.1:1", CLIENT_ID, "s".repeat(10_000), null)));
    }

    @Test
    void register_rejectsUnknownFieldNamingIt() {
        ObjectNode body = fields("unknown-field", ENDPOINT, CLIENT_ID, SECRET, null);
        body.remove("clientId");
        body.put("clientID", CLIENT_ID);

        assertThat(errors(body)).containsKey("clientID");
        assertThat(errors(body).get("clientID")).contains("did you mean 'clientId'");
    }

    @Test
    void register_reportsEveryProblemAtOnce() {
        ObjectNode body = fields("-bad-", "http://example.org/fhir?x=1", "not-a-guid", "", null);

        assertThat(errors(body)).containsKeys("fhirDatabaseDisplayName", "fhirServerEndpoint", "clientId", "clientSecret");
    }

    @Test
    void register_reportsRequiredFieldsWhenBodyIsEmptyObject() {
        assertThat(errors(JSON.createObjectNode()))
                .containsKeys("fhirDatabaseDisplayName", "fhirServerEndpoint", "clientId", "clientSecret");
    }

    @Test
    void register_withOneProblem_namesItInTheDetail() {
        assertThatThrownBy(() -> validator.validate(fields("ab", ENDPOINT, CLIENT_ID, SECRET, null), null))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.detail())
                        .isEqualTo("The link has 1 problem: fhirDatabaseDisplayName must be 3 to 63 characters long."));
    }

    // ---------------------------------------------------------------- fhirDatabaseDisplayName

    @ParameterizedTest
    @ValueSource(strings = {"ab", "My_Link", "-leading", "trailing-"})
    void register_rejectsDisplayNameOutsideTheNameRules(String name) {
        assertThat(errors(fields(name, ENDPOINT, CLIENT_ID, SECRET, null))).containsOnlyKeys("fhirDatabaseDisplayName");
    }

    @Test
    void register_rejectsDisplayNameShorterThan3() {
        assertThat(errors(fields("ab", ENDPOINT, CLIENT_ID, SECRET, null)))
                .containsEntry("fhirDatabaseDisplayName", "must be 3 to 63 characters long");
    }

    @Test
    void register_rejectsDisplayNameLongerThan63() {
        assertThat(errors(fields("a".repeat(64), ENDPOINT, CLIENT_ID, SECRET, null)))
                .containsEntry("fhirDatabaseDisplayName", "must be 3 to 63 characters long");
    }

    @Test
    void register_accepts63CharacterDisplayName() {
        assertThat(validator.validate(fields("b".repeat(63), ENDPOINT, CLIENT_ID, SECRET, null), null).displayName())
                .isEqualTo("b".repeat(63));
    }

    @Test
    void register_rejectsDisplayNameOutsideLowerCaseLettersDigitsAndHyphens() {
        assertThat(errors(fields("My_Link", ENDPOINT, CLIENT_ID, SECRET, null))).containsEntry("fhirDatabaseDisplayName",
                "may hold only lower-case letters a-z, digits and hyphens, and may not start or end with a hyphen");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fhirservers", "metadata", "observe"})
    void register_rejectsReservedDisplayName(String name) {
        assertThat(errors(fields(name, ENDPOINT, CLIENT_ID, SECRET, null)))
                .containsEntry("fhirDatabaseDisplayName", "'" + name + "' is reserved by the gateway; choose another name");
    }

    // ---------------------------------------------------------------- fhirServerEndpoint

    @Test
    void register_rejectsEndpointThatIsNotHttps() {
        assertThat(endpointError("http://127.0.0.1:8443")).isEqualTo("must use https");
    }

    @Test
    void register_rejectsEndpointWithQuery() {
        assertThat(endpointError(ENDPOINT + "?tenant=x")).isEqualTo("must not contain a query");
    }

    @Test
    void register_rejectsEndpointWithFragment() {
        assertThat(endpointError(ENDPOINT + "#top")).isEqualTo("must not contain a fragment");
    }

    @Test
    void register_rejectsEndpointWithUserInfo() {
        assertThat(endpointError("https://admin:pw@127.0.0.1:8443")).isEqualTo("must not contain user information");
    }

    @Test
    void register_rejectsEndpointThatIsNotAnAbsoluteUrl() {
        assertThat(endpointError("fhir.example.org/fhir")).startsWith("must be an absolute URL");
    }

    @Test
    void register_rejectsEndpointHostNotInAllowedHosts() {
        assertThat(endpointError("https://example.org")).contains("'example.org' is not an allowed FHIR server host");
    }

    @Test
    void register_rejectsEndpointResolvingToPrivateAddress() {
        RegistrationValidator strict = validator(Map.of(
                "FHIRLINK_ALLOW_PRIVATE_ADDRESSES", "false", "FHIRLINK_ALLOWED_FHIR_HOSTS", "127.0.0.1,localhost"));

        assertThatThrownBy(() -> strict.validate(fields("private-address", ENDPOINT, CLIENT_ID, SECRET, null), null))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.errors()).singleElement().satisfies(error -> {
                    assertThat(error.field()).isEqualTo("fhirServerEndpoint");
                    assertThat(error.message()).contains("private or local address");
                }));
    }

    @Test
    void register_stripsTrailingSlashAndMetadataFromEndpoint() {
        assertThat(validator.validate(fields("normalised", ENDPOINT + "/fhir/metadata/", CLIENT_ID, SECRET, null), null).endpoint())
                .isEqualTo(ENDPOINT + "/fhir");
    }

    // ---------------------------------------------------------------- clientId, clientSecret, description, tenantId

    @Test
    void register_rejectsClientIdThatIsNotAGuid() {
        assertThat(errors(fields("bad-client-id", ENDPOINT, "my-app", SECRET, null)).get("clientId")).contains("GUID");
    }

    @Test
    void register_rejectsEmptyClientSecret() {
        assertThat(errors(fields("empty-secret", ENDPOINT, CLIENT_ID, "", null))).containsEntry("clientSecret", "must not be empty");
    }

    @Test
    void register_rejectsClientSecretLongerThanBound() {
        assertThat(errors(fields("long-secret", ENDPOINT, CLIENT_ID, "s".repeat(2000), null)))
                .containsEntry("clientSecret", "must be at most 1024 characters");
    }

    @Test
    void register_rejectsDescriptionLongerThanBound() {
        ObjectNode body = fields("long-description", ENDPOINT, CLIENT_ID, SECRET, null);
        body.put("description", "d".repeat(RegistrationValidator.MAX_DESCRIPTION_LENGTH + 1));

        assertThat(errors(body)).containsOnlyKeys("description");
    }

    @Test
    void register_rejectsTenantIdThatIsNeitherGuidNorDomain() {
        assertThat(errors(fields("bad-tenant", ENDPOINT, CLIENT_ID, SECRET, "not a tenant"))).containsOnlyKeys("tenantId");
    }

    @ParameterizedTest
    @ValueSource(strings = {"72F988BF-86F1-41AF-91AB-2D7CD011DB47", "Contoso.onmicrosoft.com"})
    void register_acceptsTenantIdAsGuidOrDomain_lowerCased(String tenant) {
        assertThat(validator.validate(fields("good-tenant", ENDPOINT, CLIENT_ID, SECRET, tenant), null).tenantId())
                .isEqualTo(tenant.toLowerCase(java.util.Locale.ROOT));
    }

    @Test
    void register_neverShowsTheSecretInTheRequestsToString() {
        assertThat(validator.validate(fields("no-secret-shown", ENDPOINT, CLIENT_ID, SECRET, null), null).toString())
                .doesNotContain(SECRET);
    }

    // ---------------------------------------------------------------- update (PUT): the name comes from the path

    @Test
    void update_requiresTheClientSecret() {
        Exchange exchange = updateExchange("put-needs-secret",
                "{\"fhirServerEndpoint\": \"" + ENDPOINT + "\", \"clientId\": \"" + CLIENT_ID + "\"}");

        assertThatThrownBy(() -> validator.validateUpdate(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.errors()).extracting(GatewayException.FieldError::field).contains("clientSecret");
                });
    }

    @Test
    void update_takesTheNameFromThePath_inLowerCase() {
        Exchange exchange = updateExchange("Put-Named",
                "{\"fhirServerEndpoint\": \"" + ENDPOINT + "\", \"clientId\": \"" + CLIENT_ID + "\", \"clientSecret\": \"" + SECRET + "\"}");

        validator.validateUpdate(exchange);

        assertThat(exchange.getProperty(RegistrationRequest.PROPERTY, RegistrationRequest.class).displayName()).isEqualTo("put-named");
    }

    @Test
    void update_refusesANameInTheBodyOtherThanThePath() {
        Exchange exchange = updateExchange("put-named", "{\"fhirDatabaseDisplayName\": \"other\", \"fhirServerEndpoint\": \""
                + ENDPOINT + "\", \"clientId\": \"" + CLIENT_ID + "\", \"clientSecret\": \"" + SECRET + "\"}");

        assertThatThrownBy(() -> validator.validateUpdate(exchange))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(error -> assertThat(error.message()).startsWith("cannot be changed")));
    }

    // ---------------------------------------------------------------- helpers

    private static RegistrationValidator validator(Map<String, String> variables) {
        return new RegistrationValidator(JSON, new EndpointPolicy(Settings.from(variables)), Clock.systemUTC());
    }

    private ObjectNode parse(String body) {
        return validator.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertRefused400(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    private String endpointError(String endpoint) {
        return errors(fields("endpoint-case", endpoint, CLIENT_ID, SECRET, null)).get("fhirServerEndpoint");
    }

    /** The field errors of a refused body, field → first message. */
    private Map<String, String> errors(ObjectNode body) {
        try {
            validator.validate(body, null);
        } catch (GatewayException e) {
            assertThat(e.status()).isEqualTo(400);
            Map<String, String> errors = new LinkedHashMap<>();
            e.errors().forEach(error -> errors.putIfAbsent(error.field(), error.message()));
            return errors;
        }
        throw new AssertionError("the body was accepted: " + body);
    }

    private static ObjectNode fields(String name, String endpoint, String clientId, String secret, String tenantId) {
        ObjectNode body = JSON.createObjectNode()
                .put("fhirDatabaseDisplayName", name)
                .put("fhirServerEndpoint", endpoint)
                .put("clientId", clientId)
                .put("clientSecret", secret);
        if (tenantId != null) {
            body.put("tenantId", tenantId);
        }
        return body;
    }

    private static String body(String name, String endpoint, String clientId, String secret, String tenantId) {
        return fields(name, endpoint, clientId, secret, tenantId).toString();
    }

    private static Exchange updateExchange(String nameInPath, String body) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setHeader("name", nameInPath);
        exchange.getMessage().setBody(body.getBytes(StandardCharsets.UTF_8));
        return exchange;
    }
}
