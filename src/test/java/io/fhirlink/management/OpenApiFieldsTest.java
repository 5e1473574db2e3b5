package io.fhirlink.management;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The OpenAPI document names every field a registration or update may carry, and the link view's credential fields. */
class OpenApiFieldsTest {

    @Test
    void registrationAndUpdateSchemas_listExactlyTheFieldsTheValidatorTakes() throws Exception {
        JsonNode schemas = document().path("components").path("schemas");
        assertThat(names(schemas.path("LinkRegistration").path("properties"))).isEqualTo(new TreeSet<>(RegistrationValidator.FIELDS));
        assertThat(names(schemas.path("LinkUpdate").path("properties"))).isEqualTo(new TreeSet<>(RegistrationValidator.FIELDS));
    }

    @Test
    void linkSchema_showsTheCredentialAndTheCertificateButNoKey() throws Exception {
        JsonNode schemas = document().path("components").path("schemas");
        assertThat(names(schemas.path("Link").path("properties"))).contains("credential", "certificate", "clientSecretExpiresOn")
                .doesNotContain("clientCertificate", "clientSecret", "clientCertificatePassword");
        assertThat(names(schemas.path("LinkCertificate").path("properties"))).containsExactly("notAfter", "notBefore", "subject", "thumbprint");
    }

    private static JsonNode document() throws Exception {
        try (InputStream in = OpenApiFieldsTest.class.getResourceAsStream("/openapi/fhir-link-management.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static Set<String> names(JsonNode properties) {
        Set<String> names = new TreeSet<>();
        properties.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
