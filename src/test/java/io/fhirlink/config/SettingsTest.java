package io.fhirlink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fhirlink.links.SecretCipher;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Tag;

/** The contract's variables and defaults, and one clear line naming the variable when one is wrong. */
@Tag("unit")
class SettingsTest {

    @Test
    void defaults_areArchitectureMdsTable() {
        Settings s = Settings.from(Map.of());

        assertThat(s.httpPort()).isEqualTo(8080);
        assertThat(s.managementPort()).isEqualTo(9876);
        assertThat(s.publicBaseUrl()).isEmpty();
        assertThat(s.embeddedDatabase()).isTrue();
        assertThat(s.dataDir()).isEqualTo(Path.of("./data").toAbsolutePath().normalize());
        assertThat(s.secretKey()).isEmpty();
        assertThat(s.aadAuthorityHost()).hasToString("https://login.microsoftonline.com");
        assertThat(s.callerJwksUrl()).hasToString("https://login.microsoftonline.com/common/discovery/v2.0/keys");
        assertThat(s.callerIssuers()).containsExactly("https://login.microsoftonline.com/{tid}/v2.0");
        assertThat(s.callerAudience()).isEqualTo("api://fhir-link");
        assertThat(s.allowedFhirHosts()).containsExactly("*.azurehealthcareapis.com");
        assertThat(s.allowPrivateAddresses()).isFalse();
        assertThat(s.truststore()).isEmpty();
        assertThat(s.upstreamConnectTimeoutMs()).isEqualTo(5000);
        assertThat(s.upstreamResponseTimeoutMs()).isEqualTo(60000);
        assertThat(s.proxyMaxBodyBytes()).isEqualTo(50L * 1024 * 1024);
        assertThat(s.workerThreads()).isEqualTo(200);
        assertThat(s.jolokiaEnabled()).isFalse();
        assertThat(s.jolokiaUser()).isEmpty();
        assertThat(s.jolokiaPassword()).isEmpty();
        assertThat(s.corsAllowedOrigins()).isEmpty();
        assertThat(s.corsAllowCredentials()).isFalse();
        assertThat(s.corsMaxAgeSeconds()).isEqualTo(600);
        assertThat(s.compressionLevel()).isEqualTo(6);
        assertThat(s.tracing()).isFalse();
        assertThat(s.otelServiceName()).isEqualTo("fhir-link");
    }

    @Test
    void otlpEndpoint_turnsTracingOn_andMustBeAnHttpUrl() {
        Settings s = Settings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", "OTEL_SERVICE_NAME", "gw-a"));
        assertThat(s.tracing()).isTrue();
        assertThat(s.otelServiceName()).isEqualTo("gw-a");
        assertThat(s.otelVariables()).containsEntry("OTEL_SERVICE_NAME", "gw-a");

        assertThatThrownBy(() -> Settings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("OTEL_EXPORTER_OTLP_ENDPOINT must be");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "FHIRLINK_DB_URL=jdbc:postgresql://db:5432/x | FHIRLINK_SECRET_KEY",
            "FHIRLINK_DB_URL=mysql://db/x,FHIRLINK_SECRET_KEY=k | FHIRLINK_DB_URL",
            "FHIRLINK_HTTP_PORT=eighty | FHIRLINK_HTTP_PORT",
            "FHIRLINK_MANAGEMENT_PORT=70000 | FHIRLINK_MANAGEMENT_PORT",
            "FHIRLINK_HTTP_PORT=9000,FHIRLINK_MANAGEMENT_PORT=9000 | FHIRLINK_MANAGEMENT_PORT",
            "FHIRLINK_ALLOW_PRIVATE_ADDRESSES=yes | FHIRLINK_ALLOW_PRIVATE_ADDRESSES",
            "FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS=-1 | FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS",
            "FHIRLINK_PUBLIC_BASE_URL=gateway.example | FHIRLINK_PUBLIC_BASE_URL",
            "FHIRLINK_TRUSTSTORE=/no/such/file.pem | FHIRLINK_TRUSTSTORE",
            "FHIRLINK_WORKER_THREADS=0 | FHIRLINK_WORKER_THREADS",
            "FHIRLINK_LOG_FORMAT=xml | FHIRLINK_LOG_FORMAT",
            "FHIRLINK_JOLOKIA_ENABLED=on | FHIRLINK_JOLOKIA_ENABLED",
            "FHIRLINK_JOLOKIA_USER=hawtio | FHIRLINK_JOLOKIA_PASSWORD is unset",
            "FHIRLINK_JOLOKIA_PASSWORD=s3cret | FHIRLINK_JOLOKIA_USER is unset",
            "FHIRLINK_JOLOKIA_USER=ha:wtio,FHIRLINK_JOLOKIA_PASSWORD=s3cret | FHIRLINK_JOLOKIA_USER",
            "FHIRLINK_CORS_ALLOWED_ORIGINS=* | FHIRLINK_CORS_ALLOWED_ORIGINS",
            "FHIRLINK_CORS_ALLOWED_ORIGINS=https://app.example.org/path | FHIRLINK_CORS_ALLOWED_ORIGINS",
            "FHIRLINK_CORS_ALLOW_CREDENTIALS=1 | FHIRLINK_CORS_ALLOW_CREDENTIALS",
            "FHIRLINK_CORS_MAX_AGE_SECONDS=-5 | FHIRLINK_CORS_MAX_AGE_SECONDS",
            "FHIRLINK_COMPRESSION_LEVEL=10 | FHIRLINK_COMPRESSION_LEVEL"})
    void badConfiguration_stopsWithOneLineNamingTheVariable(String variables, String named) {
        Map<String, String> env = new java.util.HashMap<>();
        for (String pair : variables.split(",")) {
            String[] kv = pair.split("=", 2);
            env.put(kv[0].trim(), kv[1].trim());
        }

        assertThatThrownBy(() -> Settings.from(env))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(named)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aSecretKeyThatIsNotAes256_isRefusedNamingTheVariable() {
        assertThatThrownBy(() -> new SecretCipher("c2hvcnQ="))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("FHIRLINK_SECRET_KEY");
    }

    @Test
    void platformApplication_isUnsetByDefault_andNeedsAnIdWithExactlyOneCredential() {
        assertThat(Settings.from(Map.of()).platformClientId()).isEmpty();
        String id = "9a000000-bbbb-4ccc-8ddd-000000000001";
        assertThat(Settings.from(Map.of("FHIRLINK_PLATFORM_CLIENT_ID", id, "FHIRLINK_PLATFORM_CLIENT_SECRET", "s"))
                .platformClientSecret()).contains("s");
        assertThatThrownBy(() -> Settings.from(Map.of("FHIRLINK_PLATFORM_CLIENT_ID", id)))
                .hasMessageStartingWith("FHIRLINK_PLATFORM_CLIENT_ID needs a credential");
        assertThatThrownBy(() -> Settings.from(Map.of("FHIRLINK_PLATFORM_CLIENT_SECRET", "s")))
                .hasMessageStartingWith("FHIRLINK_PLATFORM_CLIENT_ID is required");
        assertThatThrownBy(() -> Settings.from(Map.of("FHIRLINK_PLATFORM_CLIENT_ID", id,
                "FHIRLINK_PLATFORM_CLIENT_SECRET", "s", "FHIRLINK_PLATFORM_CLIENT_CERTIFICATE", "/etc/hostname")))
                .hasMessageContaining("contradict");
        assertThatThrownBy(() -> Settings.from(Map.of("FHIRLINK_PLATFORM_CLIENT_ID", id,
                "FHIRLINK_PLATFORM_CLIENT_CERTIFICATE", "/no/such/file.pem")))
                .hasMessageStartingWith("FHIRLINK_PLATFORM_CLIENT_CERTIFICATE names a file that cannot be read");
    }

    @Test
    void toString_neverShowsSecrets() {
        Settings s = Settings.from(Map.of("FHIRLINK_PLATFORM_CLIENT_ID", "9a000000-bbbb-4ccc-8ddd-000000000001",
                "FHIRLINK_PLATFORM_CLIENT_SECRET", "platform~secret", "FHIRLINK_DB_PASSWORD", "db~password"));
        assertThat(s.toString()).doesNotContain("platform~secret").doesNotContain("db~password");
    }
}
