package io.fhirlink.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The route files shipped in the jar under {@code routes/}. Listed by name so an operator's file of the same name
 * can replace one of them (Camel's exclude patterns match resource locations, which differ between a jar and a
 * classes directory).
 */
public final class BuiltInRoutes {

    private BuiltInRoutes() {
    }

    public static List<String> fileNames() {
        URL routes = BuiltInRoutes.class.getResource("/routes/");
        if (routes == null) {
            return List.of();
        }
        TreeSet<String> names = new TreeSet<>();
        try {
            if ("jar".equals(routes.getProtocol())) {
                JarURLConnection connection = (JarURLConnection) routes.openConnection();
                connection.setUseCaches(false);
                try (JarFile jar = connection.getJarFile()) {
                    jar.stream().map(e -> e.getName())
                            .filter(n -> n.startsWith("routes/") && n.indexOf('/', 7) < 0 && n.endsWith(".camel.yaml"))
                            .forEach(n -> names.add(n.substring(7)));
                }
            } else {
                try (Stream<Path> files = Files.list(Path.of(routes.toURI()))) {
                    files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".camel.yaml")).forEach(names::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the built-in routes", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return List.copyOf(names);
    }
}
