package io.fhirlink.management;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fhirlink.config.Settings;
import io.fhirlink.failure.GatewayException;
import io.fhirlink.upstream.EndpointPolicy;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** {@code clientSecretExpiresOn} as the validator reads it, on a fixed clock (2027-03-10, 23:30 UTC). */
@Tag("unit")
class SecretExpiryDateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2027-03-10T23:30:00Z"), ZoneOffset.UTC);
    private final RegistrationValidator validator = new RegistrationValidator(JSON, new EndpointPolicy(Settings.from(Map.of(
            "FHIRLINK_ALLOWED_FHIR_HOSTS", "127.0.0.1", "FHIRLINK_ALLOW_PRIVATE_ADDRESSES", "true"))), CLOCK);

    @Test
    void expiresOn_isOptional() {
        assertThat(validator.validate(body(null), null).clientSecretExpiresOn()).isNull();
    }

    @Test
    void expiresOn_today_isAccepted() {
        assertThat(validator.validate(body("2027-03-10"), null).clientSecretExpiresOn()).isEqualTo(LocalDate.of(2027, 3, 10));
    }

    @Test
    void expiresOn_asGraphEndDateTime_isItsUtcDate() {
        assertThat(validator.validate(body("2027-06-01T01:00:00+02:00"), null).clientSecretExpiresOn())
                .isEqualTo(LocalDate.of(2027, 5, 31));
    }

    @Test
    void expiresOn_inThePast_isAFieldError() {
        assertThatThrownBy(() -> validator.validate(body("2027-03-09"), null))
                .isInstanceOfSatisfying(GatewayException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.errors()).singleElement().satisfies(error -> {
                        assertThat(error.field()).isEqualTo("clientSecretExpiresOn");
                        assertThat(error.message()).contains("in the past");
                    });
                });
    }

    @Test
    void expiresOn_notADate_isAFieldError() {
        assertThatThrownBy(() -> validator.validate(body("31/03/2027"), null))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.errors()).singleElement()
                        .satisfies(error -> assertThat(error.field()).isEqualTo("clientSecretExpiresOn")));
    }

    private static ObjectNode body(String expiresOn) {
        ObjectNode body = JSON.createObjectNode()
                .put("fhirDatabaseDisplayName", "expiry")
                .put("fhirServerEndpoint", "https://127.0.0.1:8443")
                .put("clientId", "6b1c3e2a-5d4f-4a7b-9c8d-0e1f2a3b4c5d")
                .put("clientSecret", "secret");
        if (expiresOn != null) {
            body.put("clientSecretExpiresOn", expiresOn);
        }
        return body;
    }
}
