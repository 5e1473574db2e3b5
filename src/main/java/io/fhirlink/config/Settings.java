package io.fhirlink.config;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The gateway's configuration, read from {@code FHIRLINK_*} environment variables; an operator's
 * {@code config/application.properties} may set the same keys (the environment wins). Everything is
 * checked here, before anything starts, so a mistake stops start-up with one line naming the variable.
 */
public record Settings(
        int httpPort,
        int managementPort,
        Optional<URI> publicBaseUrl,
        Optional<String> dbUrl,
        String dbUser,
        String dbPassword,
        Path dataDir,
        Optional<String> secretKey,
        URI aadAuthorityHost,
        URI callerJwksUrl,
        List<String> callerIssuers,
        String callerAudience,
        String organizationClaim,
        List<String> allowedFhirHosts,
        boolean allowPrivateAddresses,
        Optional<Path> truststore,
        Optional<String> truststorePassword,
        int upstreamConnectTimeoutMs,
        int upstreamResponseTimeoutMs,
        long proxyMaxBodyBytes,
        int workerThreads,
        int eventLoops,
        int maxInflight,
        int maxInflightPerLink,
        int upstreamDeadlineMs,
        int clientIdleTimeoutMs,
        long bufferedBodyBudgetBytes,
        Path routesDir,
        boolean devProfile,
        boolean jsonLogs,
        boolean jolokiaEnabled,
        Optional<String> jolokiaUser,
        Optional<String> jolokiaPassword,
        List<String> corsAllowedOrigins,
        boolean corsAllowCredentials,
        int corsMaxAgeSeconds,
        int compressionLevel,
        Optional<URI> otlpEndpoint,
        String otelServiceName,
        Map<String, String> otelVariables,
        Optional<String> platformClientId,
        Optional<Path> platformClientCertificate,
        Optional<String> platformClientSecret) {

    public static final Path OPERATOR_CONFIG = Path.of("config", "application.properties");

    /** Reads the process environment over {@code config/application.properties}. */
    public static Settings fromEnvironment() {
        Map<String, String> values = new HashMap<>(readOperatorFile(OPERATOR_CONFIG));
        System.getenv().forEach((k, v) -> {
            if (k.startsWith("FHIRLINK_") || k.startsWith("OTEL_")) {
                values.put(k, v);
            }
        });
        return from(values);
    }

    /** Builds settings from variables named as in the README ({@code FHIRLINK_HTTP_PORT}, ...). */
    public static Settings from(Map<String, String> variables) {
        Reader r = new Reader(variables);
        Optional<String> dbUrl = r.optional("FHIRLINK_DB_URL");
        Optional<String> secretKey = r.optional("FHIRLINK_SECRET_KEY");
        if (dbUrl.isPresent() && secretKey.isEmpty()) {
            throw new ConfigurationException(
                    "FHIRLINK_SECRET_KEY is required when FHIRLINK_DB_URL is set (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)");
        }
        if (dbUrl.isPresent() && !dbUrl.get().startsWith("jdbc:postgresql:")) {
            throw new ConfigurationException("FHIRLINK_DB_URL must be a PostgreSQL JDBC URL (jdbc:postgresql://host:5432/db), got: " + dbUrl.get());
        }
        Optional<Path> truststore = r.optional("FHIRLINK_TRUSTSTORE").map(Path::of);
        truststore.ifPresent(p -> {
            if (!Files.isReadable(p)) {
                throw new ConfigurationException("FHIRLINK_TRUSTSTORE names a file that cannot be read: " + p);
            }
        });
        int httpPort = r.port("FHIRLINK_HTTP_PORT", 8080);
        int managementPort = r.port("FHIRLINK_MANAGEMENT_PORT", 9876);
        if (httpPort == managementPort && httpPort != 0) {
            throw new ConfigurationException("FHIRLINK_MANAGEMENT_PORT must differ from FHIRLINK_HTTP_PORT (both are " + httpPort + ")");
        }
        Optional<String> jolokiaUser = r.optional("FHIRLINK_JOLOKIA_USER");
        Optional<String> jolokiaPassword = r.optional("FHIRLINK_JOLOKIA_PASSWORD");
        if (jolokiaUser.isPresent() != jolokiaPassword.isPresent()) {
            throw new ConfigurationException("FHIRLINK_JOLOKIA_USER and FHIRLINK_JOLOKIA_PASSWORD go together: "
                    + (jolokiaUser.isPresent() ? "FHIRLINK_JOLOKIA_PASSWORD" : "FHIRLINK_JOLOKIA_USER") + " is unset");
        }
        // HTTP basic auth sends "user:password": a colon in the user would move the split
        if (jolokiaUser.isPresent() && jolokiaUser.get().contains(":")) {
            throw new ConfigurationException("FHIRLINK_JOLOKIA_USER must not contain ':'");
        }
        Optional<String> platformClientId = r.optional("FHIRLINK_PLATFORM_CLIENT_ID");
        Optional<Path> platformCertificate = r.optional("FHIRLINK_PLATFORM_CLIENT_CERTIFICATE").map(Path::of);
        Optional<String> platformSecret = r.optional("FHIRLINK_PLATFORM_CLIENT_SECRET");
        checkPlatformApplication(platformClientId, platformCertificate, platformSecret);
        return new Settings(
                httpPort,
                managementPort,
                r.optional("FHIRLINK_PUBLIC_BASE_URL").map(v -> r.httpUrl("FHIRLINK_PUBLIC_BASE_URL", stripTrailingSlash(v))),
                dbUrl,
                r.value("FHIRLINK_DB_USER", "postgres"),
                r.value("FHIRLINK_DB_PASSWORD", ""),
                Path.of(r.value("FHIRLINK_DATA_DIR", "./data")).toAbsolutePath().normalize(),
                secretKey,
                r.httpUrl("FHIRLINK_AAD_AUTHORITY_HOST", stripTrailingSlash(r.value("FHIRLINK_AAD_AUTHORITY_HOST", "https://login.microsoftonline.com"))),
                r.httpUrl("FHIRLINK_CALLER_JWKS_URL", r.value("FHIRLINK_CALLER_JWKS_URL", "https://login.microsoftonline.com/common/discovery/v2.0/keys")),
                r.list("FHIRLINK_CALLER_ISSUERS", "https://login.microsoftonline.com/{tid}/v2.0"),
                r.value("FHIRLINK_CALLER_AUDIENCE", "api://fhir-link"),
                r.value("FHIRLINK_CALLER_ORGANIZATION_CLAIM", "tid"),
                r.list("FHIRLINK_ALLOWED_FHIR_HOSTS", "*.azurehealthcareapis.com"),
                r.bool("FHIRLINK_ALLOW_PRIVATE_ADDRESSES", false),
                truststore,
                r.optional("FHIRLINK_TRUSTSTORE_PASSWORD"),
                r.positiveInt("FHIRLINK_UPSTREAM_CONNECT_TIMEOUT_MS", 5000),
                r.positiveInt("FHIRLINK_UPSTREAM_RESPONSE_TIMEOUT_MS", 60000),
                r.positiveInt("FHIRLINK_PROXY_MAX_BODY_BYTES", 50 * 1024 * 1024),
                r.positiveInt("FHIRLINK_WORKER_THREADS", 200),
                r.positiveInt("FHIRLINK_EVENT_LOOPS", Runtime.getRuntime().availableProcessors()),
                r.positiveInt("FHIRLINK_MAX_INFLIGHT", 4096),
                r.positiveInt("FHIRLINK_MAX_INFLIGHT_PER_LINK", 1024),
                r.positiveInt("FHIRLINK_UPSTREAM_DEADLINE_MS", 120000),
                r.positiveInt("FHIRLINK_CLIENT_IDLE_TIMEOUT_MS", 30000),
                r.positiveInt("FHIRLINK_BUFFERED_BODY_BUDGET_BYTES", 64 * 1024 * 1024),
                Path.of(r.value("FHIRLINK_ROUTES_DIR", "./config/routes")).toAbsolutePath().normalize(),
                r.oneOf("FHIRLINK_PROFILE", "prod", "prod", "dev").equals("dev"),
                r.oneOf("FHIRLINK_LOG_FORMAT", "text", "text", "json").equals("json"),
                r.bool("FHIRLINK_JOLOKIA_ENABLED", false),
                jolokiaUser,
                jolokiaPassword,
                r.origins("FHIRLINK_CORS_ALLOWED_ORIGINS"),
                r.bool("FHIRLINK_CORS_ALLOW_CREDENTIALS", false),
                r.wholeNumberBetween("FHIRLINK_CORS_MAX_AGE_SECONDS", 600, 0, 86_400),
                // 6 is zlib's own default: most of level 9's ratio on FHIR JSON at a fraction of its CPU
                r.wholeNumberBetween("FHIRLINK_COMPRESSION_LEVEL", 6, 0, 9),
                r.optional("OTEL_EXPORTER_OTLP_ENDPOINT").map(v -> r.httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", v)),
                r.value("OTEL_SERVICE_NAME", "fhir-link"),
                otelVariables(variables),
                platformClientId,
                platformCertificate,
                platformSecret);
    }

    /** The platform application (links with "credential": "platform"): an id and exactly one credential, or nothing. */
    private static void checkPlatformApplication(Optional<String> clientId, Optional<Path> certificate, Optional<String> secret) {
        if (clientId.isEmpty()) {
            if (certificate.isPresent() || secret.isPresent()) {
                throw new ConfigurationException("FHIRLINK_PLATFORM_CLIENT_ID is required with "
                        + (certificate.isPresent() ? "FHIRLINK_PLATFORM_CLIENT_CERTIFICATE" : "FHIRLINK_PLATFORM_CLIENT_SECRET")
                        + " (the application (client) ID of the platform's multi-tenant app registration)");
            }
            return;
        }
        if (!clientId.get().matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
            throw new ConfigurationException("FHIRLINK_PLATFORM_CLIENT_ID must be an application (client) ID, a GUID");
        }
        if (certificate.isPresent() && secret.isPresent()) {
            throw new ConfigurationException("FHIRLINK_PLATFORM_CLIENT_CERTIFICATE and FHIRLINK_PLATFORM_CLIENT_SECRET"
                    + " contradict each other: set only one (the certificate is preferred)");
        }
        if (certificate.isEmpty() && secret.isEmpty()) {
            throw new ConfigurationException("FHIRLINK_PLATFORM_CLIENT_ID needs a credential: set"
                    + " FHIRLINK_PLATFORM_CLIENT_CERTIFICATE (path to a PEM with the certificate and its key, preferred)"
                    + " or FHIRLINK_PLATFORM_CLIENT_SECRET");
        }
        if (certificate.isPresent() && !Files.isReadable(certificate.get())) {
            throw new ConfigurationException("FHIRLINK_PLATFORM_CLIENT_CERTIFICATE names a file that cannot be read: " + certificate.get());
        }
    }

    /** Never the secrets (database password, secret key, platform client secret): a record would print them all. */
    @Override
    public String toString() {
        return "Settings[httpPort=" + httpPort + ", managementPort=" + managementPort + ", dataDir=" + dataDir
                + ", aadAuthorityHost=" + aadAuthorityHost + ", platformClientId=" + platformClientId.orElse("-") + "]";
    }

    /** Browser callers are served only from the origins FHIRLINK_CORS_ALLOWED_ORIGINS names. */
    public boolean corsEnabled() {
        return !corsAllowedOrigins.isEmpty();
    }

    /**
     * OpenTelemetry's own variables (OTEL_*), handed to its SDK as they are: the exporter's headers, the batch
     * processor's delays, the sampler. Only consulted when OTEL_EXPORTER_OTLP_ENDPOINT is set.
     */
    private static Map<String, String> otelVariables(Map<String, String> variables) {
        Map<String, String> otel = new TreeMap<>();
        variables.forEach((k, v) -> {
            if (k.startsWith("OTEL_") && v != null && !v.isBlank()) {
                otel.put(k, v.trim());
            }
        });
        return Map.copyOf(otel);
    }

    /** Whether spans are exported: decided once, at start-up. */
    public boolean tracing() {
        return otlpEndpoint.isPresent();
    }

    /** Where the embedded PostgreSQL keeps its files. */
    public Path embeddedDatabaseDir() {
        return dataDir.resolve("postgres");
    }

    public boolean embeddedDatabase() {
        return dbUrl.isEmpty();
    }

    private static String stripTrailingSlash(String value) {
        return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
    }

    private static Map<String, String> readOperatorFile(Path file) {
        Map<String, String> values = new HashMap<>();
        if (!Files.isRegularFile(file)) {
            return values;
        }
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new ConfigurationException("cannot read " + file.toAbsolutePath() + ": " + e.getMessage());
        }
        properties.stringPropertyNames().stream()
                .filter(k -> k.startsWith("FHIRLINK_") || k.startsWith("OTEL_"))
                .forEach(k -> values.put(k, properties.getProperty(k).trim()));
        return values;
    }

    /** Typed access that names the variable in every complaint. */
    private record Reader(Map<String, String> variables) {

        Optional<String> optional(String name) {
            String v = variables.get(name);
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
        }

        String value(String name, String defaultValue) {
            return optional(name).orElse(defaultValue);
        }

        int positiveInt(String name, int defaultValue) {
            String v = value(name, Integer.toString(defaultValue));
            try {
                int n = Integer.parseInt(v);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new ConfigurationException(name + " must be a positive whole number, got: " + v);
        }

        int port(String name, int defaultValue) {
            String v = value(name, Integer.toString(defaultValue));
            try {
                int n = Integer.parseInt(v);
                if (n >= 0 && n <= 65535) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new ConfigurationException(name + " must be a TCP port (0-65535), got: " + v);
        }

        int wholeNumberBetween(String name, int defaultValue, int min, int max) {
            String v = value(name, Integer.toString(defaultValue));
            try {
                int n = Integer.parseInt(v);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new ConfigurationException(name + " must be a whole number from " + min + " to " + max + ", got: " + v);
        }

        /**
         * Exact origins ({@code scheme://host[:port]}), as a browser sends them in {@code Origin}: no path, no
         * wildcard (a wildcard would hand every web page the caller's token-bearing requests' answers).
         */
        List<String> origins(String name) {
            List<String> origins = Arrays.stream(value(name, "").split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList();
            for (String origin : origins) {
                URI uri;
                try {
                    uri = new URI(origin);
                } catch (Exception e) {
                    uri = null;
                }
                boolean exact = uri != null && ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
                        && uri.getHost() != null && uri.getRawPath().isEmpty() && uri.getRawQuery() == null
                        && uri.getRawFragment() == null && uri.getRawUserInfo() == null;
                if (!exact) {
                    throw new ConfigurationException(name + " must list exact origins such as https://app.example.org"
                            + " (scheme, host, optional port; no path, no wildcard), got: " + origin);
                }
            }
            return origins;
        }

        String oneOf(String name, String defaultValue, String... allowed) {
            String v = value(name, defaultValue).toLowerCase();
            if (Arrays.asList(allowed).contains(v)) {
                return v;
            }
            throw new ConfigurationException(name + " must be one of " + String.join(", ", allowed) + ", got: " + v);
        }

        boolean bool(String name, boolean defaultValue) {
            String v = value(name, Boolean.toString(defaultValue)).toLowerCase();
            if (v.equals("true") || v.equals("false")) {
                return Boolean.parseBoolean(v);
            }
            throw new ConfigurationException(name + " must be true or false, got: " + v);
        }

        List<String> list(String name, String defaultValue) {
            List<String> items = Arrays.stream(value(name, defaultValue).split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList();
            if (items.isEmpty()) {
                throw new ConfigurationException(name + " must list at least one value");
            }
            return items;
        }

        URI httpUrl(String name, String value) {
            try {
                URI uri = new URI(value);
                if (("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null) {
                    return uri;
                }
            } catch (Exception ignored) {
                // reported below
            }
            throw new ConfigurationException(name + " must be an absolute http(s) URL, got: " + value);
        }
    }
}
