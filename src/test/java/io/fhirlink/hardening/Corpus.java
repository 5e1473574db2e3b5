package io.fhirlink.hardening;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads the bad-input corpus under src/test/resources/corpus/: one case per line, '#' comments, blank lines skipped. */
final class Corpus {

    private Corpus() {
    }

    static List<String> lines(String file) {
        try (InputStream in = Corpus.class.getResourceAsStream("/corpus/" + file)) {
            if (in == null) {
                throw new IllegalStateException("corpus file missing: " + file);
            }
            List<String> cases = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1)) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    cases.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
                }
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
