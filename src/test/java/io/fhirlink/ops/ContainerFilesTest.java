package io.fhirlink.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.fhirlink.config.Settings;
import io.fhirlink.support.GatewayHarness;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.w3c.dom.Document;

/**
 * What can be checked of docker/ without a Docker engine or a cluster: the files parse, the image copies what
 * the build makes, and every health check and probe names a management path the gateway really serves.
 */
class ContainerFilesTest {

    private static final Path DOCKER = Path.of("docker");
    private static final Path K8S = DOCKER.resolve("k8s");
    private static final Settings DEFAULTS = Settings.from(Map.of());

    @Test
    void yamlFiles_allParse() throws IOException {
        List<Path> yamlFiles;
        try (Stream<Path> files = Files.walk(DOCKER)) {
            yamlFiles = files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
        assertThat(yamlFiles).contains(DOCKER.resolve("compose.yaml"), K8S.resolve("deployment.yaml"));
        for (Path file : yamlFiles) {
            assertThatCode(() -> documents(file)).as(file.toString()).doesNotThrowAnyException();
        }
    }

    @Test
    void deployment_runsAtLeastTwoNonRootReplicasOnReadOnlyRoot() throws IOException {
        Map<String, Object> spec = map(document(K8S.resolve("deployment.yaml")), "spec");
        Map<String, Object> pod = map(map(spec, "template"), "spec");
        Map<String, Object> container = gatewayContainer();

        assertThat((Integer) spec.get("replicas")).isGreaterThanOrEqualTo(2);
        assertThat(map(pod, "securityContext")).containsEntry("runAsNonRoot", true);
        assertThat((Integer) map(pod, "securityContext").get("runAsUser")).isPositive();
        assertThat(map(container, "securityContext")).containsEntry("readOnlyRootFilesystem", true);
        assertThat(list(container, "volumeMounts")).anySatisfy(m -> assertThat(m).containsEntry("mountPath", "/tmp"));
        String tmpVolume = (String) list(container, "volumeMounts").stream()
                .filter(m -> "/tmp".equals(m.get("mountPath"))).findFirst().orElseThrow().get("name");
        assertThat(list(pod, "volumes")).anySatisfy(v -> {
            assertThat(v).containsEntry("name", tmpVolume);
            assertThat(v).containsKey("emptyDir");
        });
        assertThat(map(map(container, "resources"), "requests")).containsKeys("cpu", "memory");
        assertThat(map(map(container, "resources"), "limits")).containsKey("memory");
    }

    @Test
    void deployment_probesAndImageHealthChecks_answer200OnTheGatewaysManagementPort() throws Exception {
        Map<String, Object> container = gatewayContainer();
        Map<String, Integer> containerPorts = new HashMap<>();
        list(container, "ports").forEach(p -> containerPorts.put((String) p.get("name"), (Integer) p.get("containerPort")));
        Map<String, String> configMap = configMapData();
        int managementPort = Integer.parseInt(configMap.get("FHIRLINK_MANAGEMENT_PORT"));
        assertThat(managementPort).isEqualTo(DEFAULTS.managementPort());

        Set<String> paths = new LinkedHashSet<>();
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            Map<String, Object> get = map(map(container, probe), "httpGet");
            Object port = get.get("port");
            int resolved = port instanceof Integer n ? n : containerPorts.get((String) port);
            assertThat(resolved).as(probe + " port").isEqualTo(managementPort);
            paths.add((String) get.get("path"));
        }
        assertThat(map(map(container, "readinessProbe"), "httpGet")).containsEntry("path", "/observe/health/ready");
        assertThat(map(map(container, "livenessProbe"), "httpGet")).containsEntry("path", "/observe/health/live");
        paths.add(healthCheckPath(dockerfileInstruction("HEALTHCHECK").get(0), managementPort));
        List<?> composeTest = (List<?>) map(map(map(document(DOCKER.resolve("compose.yaml")), "services"), "gateway"),
                "healthcheck").get("test");
        paths.add(healthCheckPath(String.join(" ", composeTest.stream().map(Object::toString).toList()), managementPort));

        try (GatewayHarness harness = GatewayHarness.start()) {
            HttpClient http = HttpClient.newHttpClient();
            for (String path : paths) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(harness.managementUrl() + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(path + ": " + answer.body()).isEqualTo(200);
            }
        }
    }

    @Test
    void dockerfile_copiesTheJarAndLibDirectoryThePomBuilds() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        String finalName = text(pom, "finalName");
        String classpathPrefix = text(pom, "classpathPrefix");
        assertThat(text(pom, "buildDir")).isEqualTo("${project.basedir}/target");

        List<String> from = dockerfileInstruction("FROM");
        assertThat(from.get(0)).isEqualTo("maven:3-eclipse-temurin-17 AS build");
        assertThat(from.get(from.size() - 1)).isEqualTo("eclipse-temurin:17-jre");
        assertThat(dockerfileInstruction("WORKDIR").get(0)).isEqualTo("/build");
        assertThat(dockerfileInstruction("RUN")).contains("mvn -B -DskipTests package");

        Map<String, String> copied = new HashMap<>();
        for (String copy : dockerfileInstruction("COPY")) {
            if (copy.startsWith("--from=build ")) {
                String[] parts = copy.substring("--from=build ".length()).trim().split("\\s+");
                copied.put(parts[0], parts[1]);
            }
        }
        String jarDestination = copied.get("/build/target/" + finalName + ".jar");
        String libDestination = copied.get("/build/target/" + classpathPrefix);
        assertThat(jarDestination).as("COPY of target/%s.jar in %s", finalName, copied).isNotNull();
        assertThat(libDestination).as("COPY of target/%s in %s", classpathPrefix, copied).isNotNull();
        // The manifest's Class-Path is relative to the jar: lib/ must land beside it.
        assertThat(Path.of(jarDestination).resolveSibling(classpathPrefix)).isEqualTo(Path.of(libDestination));
        assertThat(dockerfileInstruction("ENTRYPOINT").get(0)).isEqualTo("[\"java\", \"-jar\", \"" + jarDestination + "\"]");
    }

    @Test
    void dockerfile_runsAsNonRootWithDataVolumeAndDefaultPorts() throws IOException {
        String user = dockerfileInstruction("USER").get(0);
        assertThat(user).doesNotStartWith("0").isNotEqualTo("root");
        assertThat(String.join(" ", dockerfileInstruction("ENV"))).contains("FHIRLINK_DATA_DIR=/var/lib/fhir-link");
        assertThat(dockerfileInstruction("VOLUME").get(0)).contains("/var/lib/fhir-link");
        assertThat(dockerfileInstruction("EXPOSE").get(0).split("\\s+"))
                .containsExactlyInAnyOrder(Integer.toString(DEFAULTS.httpPort()), Integer.toString(DEFAULTS.managementPort()));
    }

    @Test
    void compose_gatewayWaitsForHealthyPostgres16OnANamedVolume() throws IOException {
        Map<String, Object> compose = document(DOCKER.resolve("compose.yaml"));
        Map<String, Object> services = map(compose, "services");
        Map<String, Object> postgres = map(services, "postgres");
        Map<String, Object> gateway = map(services, "gateway");

        assertThat(postgres.get("image")).isEqualTo("postgres:16");
        assertThat(postgres).containsKey("healthcheck");
        assertThat(gateway).containsKey("healthcheck");
        assertThat(map(map(gateway, "depends_on"), "postgres")).containsEntry("condition", "service_healthy");
        String volume = ((String) ((List<?>) postgres.get("volumes")).get(0)).split(":")[0];
        assertThat(map(compose, "volumes")).containsKey(volume);
        assertThat(map(gateway, "environment")).containsKeys("FHIRLINK_DB_URL", "FHIRLINK_DB_USER", "FHIRLINK_DB_PASSWORD", "FHIRLINK_SECRET_KEY");
    }

    @Test
    void compose_everyVariableItRequiresIsInEnvExample() throws IOException {
        Matcher required = Pattern.compile("\\$\\{([A-Z0-9_]+):\\?").matcher(Files.readString(DOCKER.resolve("compose.yaml")));
        Set<String> names = new LinkedHashSet<>();
        while (required.find()) {
            names.add(required.group(1));
        }
        Map<String, String> example = envFile(DOCKER.resolve(".env.example"));

        assertThat(names).isNotEmpty();
        assertThat(example).containsKeys(names.toArray(String[]::new));
    }

    @Test
    void composeAndKubernetesConfiguration_areAcceptedBySettings() throws IOException {
        Map<String, String> secret = new HashMap<>();
        map(document(K8S.resolve("secret.example.yaml")), "stringData").forEach((k, v) -> secret.put(k, (String) v));
        assertThat(secret).containsKeys("FHIRLINK_DB_PASSWORD", "FHIRLINK_SECRET_KEY");
        assertThat(configMapData().keySet()).noneMatch(k -> k.contains("PASSWORD") || k.contains("SECRET"));
        String realKey = Base64.getEncoder().encodeToString(new byte[32]);

        Map<String, String> kubernetes = new HashMap<>(configMapData());
        kubernetes.putAll(secret);
        kubernetes.put("FHIRLINK_SECRET_KEY", realKey);
        assertThatCode(() -> Settings.from(kubernetes)).doesNotThrowAnyException();

        Map<String, String> compose = new HashMap<>(envFile(DOCKER.resolve(".env.example")));
        map(map(map(document(DOCKER.resolve("compose.yaml")), "services"), "gateway"), "environment")
                .forEach((k, v) -> compose.put(k, v.toString().startsWith("${") ? compose.get(k) : v.toString()));
        compose.put("FHIRLINK_SECRET_KEY", realKey);
        assertThatCode(() -> Settings.from(compose)).doesNotThrowAnyException();
    }

    @Test
    void kustomization_listsFilesThatExistAndLeavesTheSecretOut() throws IOException {
        List<String> resources = ((List<?>) document(K8S.resolve("kustomization.yaml")).get("resources"))
                .stream().map(Object::toString).toList();
        assertThat(resources).isNotEmpty().doesNotContain("secret.example.yaml");
        for (String resource : resources) {
            assertThat(K8S.resolve(resource)).exists();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, Object> gatewayContainer() throws IOException {
        Map<String, Object> pod = map(map(map(document(K8S.resolve("deployment.yaml")), "spec"), "template"), "spec");
        return list(pod, "containers").get(0);
    }

    private static Map<String, String> configMapData() throws IOException {
        Map<String, String> data = new HashMap<>();
        map(document(K8S.resolve("configmap.yaml")), "data").forEach((k, v) -> data.put(k, v.toString()));
        return data;
    }

    /** The path a curl health check calls on 127.0.0.1 at the management port (literal or ${VAR:-default}). */
    private static String healthCheckPath(String command, int managementPort) {
        Matcher url = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+|\\$\\{FHIRLINK_MANAGEMENT_PORT:-(\\d+)})(/\\S*?)\"?(\\s|$)")
                .matcher(command);
        assertThat(url.find()).as("a management URL in: " + command).isTrue();
        String port = url.group(2) != null ? url.group(2) : url.group(1);
        assertThat(Integer.parseInt(port)).as(command).isEqualTo(managementPort);
        return url.group(3);
    }

    /** Arguments of each Dockerfile instruction of one kind, continuation lines joined, in order. */
    private static List<String> dockerfileInstruction(String keyword) throws IOException {
        List<String> found = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(DOCKER.resolve("Dockerfile"))) {
            String trimmed = line.trim();
            if (current.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            String instruction = current.toString().replaceAll("\\s+", " ").trim();
            current.setLength(0);
            String[] parts = instruction.split(" ", 2);
            if (parts[0].equalsIgnoreCase(keyword)) {
                found.add(parts.length > 1 ? parts[1] : "");
            }
        }
        assertThat(found).as("Dockerfile " + keyword).isNotEmpty();
        return found;
    }

    private static Map<String, String> envFile(Path file) throws IOException {
        Map<String, String> values = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            String trimmed = line.trim();
            if (!trimmed.isEmpty() && !trimmed.startsWith("#") && trimmed.contains("=")) {
                values.put(trimmed.substring(0, trimmed.indexOf('=')), trimmed.substring(trimmed.indexOf('=') + 1));
            }
        }
        return values;
    }

    private static List<Object> documents(Path file) throws IOException {
        List<Object> documents = new ArrayList<>();
        new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file)).forEach(documents::add);
        return documents;
    }

    private static Map<String, Object> document(Path file) throws IOException {
        List<Object> documents = documents(file);
        assertThat(documents).as(file.toString()).hasSize(1);
        return cast(documents.get(0));
    }

    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        assertThat(parent).as("has " + key).containsKey(key);
        return cast(parent.get(key));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        assertThat(parent).as("has " + key).containsKey(key);
        return (List<Map<String, Object>>) parent.get(key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }

    private static String text(Document pom, String tag) {
        return pom.getElementsByTagName(tag).item(0).getTextContent().trim();
    }
}
