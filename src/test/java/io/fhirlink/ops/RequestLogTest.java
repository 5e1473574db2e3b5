package io.fhirlink.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What an access line may say of the request: the path and the query's parameter names, never their values. */
@Tag("unit")
class RequestLogTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/clinic/Patient?family=Smith&_count=10         | /clinic/Patient?family&_count",
            "/clinic/Patient                                | /clinic/Patient",
            "/clinic/Patient?                               | /clinic/Patient?",
            "/clinic/Patient?birthdate=ge1970&birthdate=lt1980 | /clinic/Patient?birthdate&birthdate",
            "/clinic/Observation?code:text=diabetes&subject.name=Zo%C3%AB | /clinic/Observation?code:text&subject.name",
            "/clinic/Patient?_id                            | /clinic/Patient?_id",
            "/clinic/Patient?fam%69ly=Smith                 | /clinic/Patient?fam69ly",
            "/FhirServers/aadfhirrecord/ward                | /FhirServers/aadfhirrecord/ward"})
    void pathWithoutValues_keepsThePathAndTheParameterNames(String rawUri, String logged) {
        assertThat(RequestLog.pathWithoutValues(rawUri)).isEqualTo(logged);
    }

    @Test
    void pathWithoutValues_neverLogsAValue_evenOneHiddenInAName() {
        assertThat(RequestLog.pathWithoutValues("/clinic/Patient?name=Smith&identifier=123-45-6789&x=a=b"))
                .doesNotContain("Smith", "123", "6789", "a=b");
    }

    @Test
    void pathWithoutValues_replacesControlCharactersAndSpaces_soALogLineCannotBeForged() {
        assertThat(RequestLog.pathWithoutValues("/clinic/Patient\r\nrequestId=forged /x")).isEqualTo("/clinic/Patient??requestId=forged?/x");
    }

    @Test
    void pathWithoutValues_boundsTheLine() {
        String logged = RequestLog.pathWithoutValues("/clinic/" + "a".repeat(2000) + "?" + "p&".repeat(100));

        assertThat(logged).startsWith("/clinic/aaa").contains("...?");
        assertThat(logged).hasSize(512 + "...?".length() + 20 * "p&".length()); // at most 20 names
    }

    @Test
    void pathWithoutValues_ofNoUri_isADash() {
        assertThat(RequestLog.pathWithoutValues(null)).isEqualTo("-");
    }

    @Test
    void newRequestId_isAVersion4Uuid() {
        UUID id = UUID.fromString(RequestLog.newRequestId());

        assertThat(id.version()).isEqualTo(4);
        assertThat(id.variant()).isEqualTo(2);
    }
}
