package io.fhirlink;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The package map of docs/architecture.md: dependencies run one way, from start-up at the top to the FHIR vocabulary
 * at the bottom. A package may use only the packages below it.
 */
class PackageMapTest {

    /** Top to bottom. {@code server} and {@code management} are peers: neither uses the other. */
    private static final List<List<String>> LAYERS = List.of(
            List.of("io.fhirlink"),
            List.of("io.fhirlink.server", "io.fhirlink.management"),
            List.of("io.fhirlink.proxy"),
            List.of("io.fhirlink.ops"),
            List.of("io.fhirlink.auth"),
            List.of("io.fhirlink.upstream"),
            List.of("io.fhirlink.links"),
            List.of("io.fhirlink.failure"),
            List.of("io.fhirlink.config"),
            List.of("io.fhirlink.fhir"));

    private static final JavaClasses GATEWAY = new ClassFileImporter()
            .withImportOption(location -> !location.contains("/test-classes/")) // any build directory
            .importPackages("io.fhirlink");

    @Test
    void noPackageCycle() {
        slices().matching("io.fhirlink.(*)..").should().beFreeOfCycles().check(GATEWAY);
    }

    @Test
    void eachPackageUsesOnlyThePackagesBelowIt() {
        for (int layer = 1; layer < LAYERS.size(); layer++) {
            List<String> above = LAYERS.subList(0, layer).stream().flatMap(List::stream).toList();
            for (String pkg : LAYERS.get(layer)) {
                noClasses().that().resideInAPackage(pkg)
                        .should().dependOnClassesThat().resideInAnyPackage(above.toArray(String[]::new))
                        .because(pkg + " sits below " + above + " in the package map")
                        .check(GATEWAY);
            }
        }
    }

    @Test
    void peersDoNotUseEachOther() {
        noClasses().that().resideInAPackage("io.fhirlink.server")
                .should().dependOnClassesThat().resideInAPackage("io.fhirlink.management").check(GATEWAY);
        noClasses().that().resideInAPackage("io.fhirlink.management")
                .should().dependOnClassesThat().resideInAPackage("io.fhirlink.server").check(GATEWAY);
    }

    @Test
    void theRootPackageHoldsStartUpAndWiringOnly() {
        classes().that().resideInAPackage("io.fhirlink")
                .should().haveNameMatching("io\\.fhirlink\\.(Main|FhirLink|GatewayBeans)(\\$.*)?")
                .check(GATEWAY);
    }
}
