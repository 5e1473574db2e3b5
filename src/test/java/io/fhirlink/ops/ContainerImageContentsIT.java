package io.fhirlink.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * After {@code mvn package}: the files docker/Dockerfile copies into the image are the ones the build made, and
 * the jar finds every Class-Path entry in the lib/ directory copied beside it.
 */
class ContainerImageContentsIT {

    @Test
    void packagedJar_isWhatTheDockerfileCopies_andLibHoldsItsWholeClassPath() throws Exception {
        Path jar = Path.of(System.getProperty("fhirlink.jar"));
        String dockerfile = Files.readString(Path.of("docker", "Dockerfile"));

        assertThat(jar).isRegularFile();
        assertThat(dockerfile).contains("COPY --from=build /build/target/" + jar.getFileName() + " ");
        assertThat(dockerfile).contains("COPY --from=build /build/target/lib/ ");
        try (JarFile file = new JarFile(jar.toFile())) {
            String classPath = file.getManifest().getMainAttributes().getValue("Class-Path");
            assertThat(classPath).isNotBlank();
            assertThat(Arrays.stream(classPath.trim().split("\\s+")).map(entry -> jar.resolveSibling(entry)))
                    .allSatisfy(entry -> assertThat(entry).isRegularFile());
        }
    }
}
