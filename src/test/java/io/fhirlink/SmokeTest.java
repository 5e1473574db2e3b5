package io.fhirlink;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class SmokeTest {

    @Test
    void register_thenReadPatientThroughProxy() throws Exception {
        try (GatewayHarness h = GatewayHarness.start()) {
            HttpResponse<String> created = h.register("smoke-link");
            System.out.println(created.statusCode() + " " + created.headers().map() + " " + created.body());
            assertThat(created.statusCode()).isEqualTo(201);
            HttpResponse<String> patient = h.send("POST", "/smoke-link/Patient", h.token(GatewayHarness.TENANT),
                    "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Smoke\"}]}", "Content-Type", "application/fhir+json");
            System.out.println(patient.statusCode() + " " + patient.headers().map() + " " + patient.body());
            HttpResponse<String> search = h.send("GET", "/smoke-link/Patient?family=Smoke", h.token(GatewayHarness.TENANT), null);
            System.out.println(search.statusCode() + " " + search.headers().map() + " " + search.body());
            HttpResponse<String> meta = h.send("GET", "/smoke-link/metadata", null, null);
            System.out.println(meta.statusCode() + " " + meta.body().substring(0, Math.min(400, meta.body().length())));
            HttpResponse<String> list = h.send("GET", "/FhirServers/aadfhirrecord", h.token(GatewayHarness.TENANT), null);
            System.out.println(list.statusCode() + " " + list.headers().map() + " " + list.body());
        }
    }
}
