package io.fhirlink.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which raw paths could step outside where they point, in any spelling a lenient hop would decode. */
@Tag("unit")
class PathSafetyTest {

    @ParameterizedTest
    @ValueSource(strings = {"Patient", "Patient/123", "Patient/123/_history/2", "Patient/_search", "metadata", "",
            "Observation/$lastn", "Patient/a.b", "Patient/..x", "Patient/x..", "Binary/a~b", "Patient/Zo%C3%AB",
            "Patient/%24everything", "Patient/a+b", "Patient/123/"})
    void isSafe_acceptsOrdinaryFhirPaths(String path) {
        assertThat(PathSafety.isSafe(path)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "..", ".", "Patient/../FhirServers", "../other/Patient", "./Patient", "Patient/./1",
            "%2e%2e/other", "Patient/%2E%2E/x", ".%2e/x", "%2e./x", "%2e/Patient",
            "%252e%252e/x", "%25252e%25252e/x",
            "%c0%ae%c0%ae/x", "%e0%80%ae%e0%80%ae/x",
            "..;/x", ".;/Patient", "..;x=1/x", "%2e%2e;/x", ".../x", ".. /x", "..%20/x", "..%09/x",
            "Patient%2f..%2fx", "Patient%2fx", "Patient\\..\\x", "Patient\\x", "Patient%5c..%5cx", "Patient%5Cx",
            "Patient//x", "Patient/%00", "Patient/a\u0001b", "Patient/\u007f",
            "Patient/%ef%bc%8e%ef%bc%8e/x", "Patient/%e2%80%a4%e2%80%a4/x", "Patient/%e2%88%95x",
            "Patient/%zz", "Patient/%2"})
    void isSafe_refusesPathsThatCouldLeaveWhereTheyPoint(String path) {
        assertThat(PathSafety.isSafe(path)).isFalse();
    }
}
