package io.fhirlink.hardening;

import static io.fhirlink.support.GatewayHarness.OTHER_TENANT;
import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.AzureFhirStandIn;
import io.fhirlink.support.GatewayHarness;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A bounded soak on loopback: 50 clients for 60 s, reads and writes mixed, through two links of two organizations
 * whose FHIR servers hold marked data. Zero errors, no answer carrying the other organization's marker, and heap
 * (after GC) and open file descriptors flat between the first and the last ten seconds.
 *
 * <p>Not part of the default run (tag "soak"). Run it with:
 * {@code mvn -B test -Dgroups=soak -DexcludedGroups=none -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dsoak.seconds=N -Dsoak.clients=M} change its size).
 */
@Tag("soak")
class SoakTest {

    static final int SECONDS = Integer.getInteger("soak.seconds", 60);
    static final int CLIENTS = Integer.getInteger("soak.clients", 50);
    /** Stated tolerances: the heap after GC may grow by this much (the FHIR stand-ins in this JVM keep every write). */
    static final long HEAP_TOLERANCE_BYTES = 64L * 1024 * 1024;
    static final int FD_TOLERANCE = 32;

    record Sample(long atMillis, long heapAfterGc, int openFiles) {
    }

    @Test
    void fiftyClientsForAMinute_noErrors_noCrossOrganizationAnswer_flatHeapAndFiles() throws Exception {
        try (GatewayHarness harness = GatewayHarness.start(Map.of());
                AzureFhirStandIn bravoServer = AzureFhirStandIn.start(harness.aad, TENANT)) {
            String alphaToken = harness.token(TENANT);
            String bravoToken = harness.token(OTHER_TENANT);
            assertThat(harness.register("soak-alpha").statusCode()).isEqualTo(201);
            assertThat(harness.send("POST", "/FhirServers/aadfhirrecord", bravoToken, Hardening.registration("soak-bravo", bravoServer.baseUrl()))
                    .statusCode()).isEqualTo(201);
            List<String> alphaIds = harness.fhir.seedPatients(20, "MarkerAlpha");
            List<String> bravoIds = bravoServer.seedPatients(20, "MarkerBravo");
            Org alpha = new Org("soak-alpha", alphaToken, "MarkerAlpha", "MarkerBravo", alphaIds);
            Org bravo = new Org("soak-bravo", bravoToken, "MarkerBravo", "MarkerAlpha", bravoIds);

            AtomicLong requests = new AtomicLong();
            List<String> errors = Collections.synchronizedList(new ArrayList<>());
            Map<String, AtomicLong> byKind = new ConcurrentHashMap<>();
            List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
            long start = System.currentTimeMillis();
            long end = start + SECONDS * 1000L;
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            for (int c = 0; c < CLIENTS; c++) {
                Org org = c % 2 == 0 ? alpha : bravo;
                clients.submit(() -> {
                    while (System.currentTimeMillis() < end) {
                        String kind = "?";
                        try {
                            kind = org.oneRequest(harness, byKind);
                            requests.incrementAndGet();
                        } catch (Throwable t) {
                            errors.add(kind + ": " + t);
                        }
                    }
                });
            }
            Thread.sleep(1000); // JIT and pools warm up
            while (System.currentTimeMillis() < end) {
                // the stand-ins record every request they receive: forget them, only the gateway's heap is measured
                harness.fhir.clearRequests();
                bravoServer.clearRequests();
                samples.add(sample(start));
                Thread.sleep(1000);
            }
            clients.shutdown();
            assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

            List<Sample> first = samples.stream().filter(s -> s.atMillis() < 11_000).toList();
            List<Sample> last = samples.stream().filter(s -> s.atMillis() >= (SECONDS - 10) * 1000L).toList();
            long heapFirst = median(first.stream().map(Sample::heapAfterGc).toList());
            long heapLast = median(last.stream().map(Sample::heapAfterGc).toList());
            long filesFirst = median(first.stream().map(s -> (long) s.openFiles()).toList());
            long filesLast = median(last.stream().map(s -> (long) s.openFiles()).toList());
            System.out.printf("SOAK %d clients %d s: %d requests (%.0f/s) %s; errors %d; heap after GC %d MiB -> %d MiB; open files %d -> %d%n",
                    CLIENTS, SECONDS, requests.get(), requests.get() / (double) SECONDS, byKind, errors.size(),
                    heapFirst >> 20, heapLast >> 20, filesFirst, filesLast);

            assertThat(errors).as("errors (first 20)").hasSizeLessThanOrEqualTo(0).isEmpty();
            assertThat(requests.get()).isGreaterThan(SECONDS * 10L);
            assertThat(heapLast - heapFirst).as("heap growth after GC").isLessThan(HEAP_TOLERANCE_BYTES);
            assertThat(filesLast - filesFirst).as("open file descriptor growth").isLessThanOrEqualTo(FD_TOLERANCE);
        }
    }

    /** One organization's client: its link, its token, its marker, and the other organization's, which it must never see. */
    record Org(String link, String token, String marker, String foreignMarker, List<String> ids) {

        String oneRequest(GatewayHarness harness, Map<String, AtomicLong> byKind) throws Exception {
            int dice = ThreadLocalRandom.current().nextInt(100);
            String id = ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
            String kind;
            HttpResponse<String> answer;
            int expected = 200;
            if (dice < 45) {
                kind = "read";
                answer = harness.send("GET", "/" + link + "/Patient/" + id, token, null);
            } else if (dice < 80) {
                kind = "search";
                // by identifier: one match, so the FHIR stand-in's search cache (in this JVM) stays small
                answer = harness.send("GET", "/" + link + "/Patient?identifier=urn:fhir-link:test%7C" + marker + "-"
                        + (1 + ThreadLocalRandom.current().nextInt(ids.size())) + "&_count=5", token, null);
            } else if (dice < 90) {
                kind = "update";
                answer = harness.send("PUT", "/" + link + "/Patient/" + id, token,
                        "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"name\":[{\"family\":\"" + marker + "\",\"given\":[\"U"
                                + ThreadLocalRandom.current().nextInt(1000) + "\"]}]}", "Content-Type", "application/fhir+json");
            } else {
                kind = "create";
                expected = 201;
                answer = harness.send("POST", "/" + link + "/Patient", token,
                        "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + marker + "\"}]}", "Content-Type", "application/fhir+json");
            }
            byKind.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
            if (answer.statusCode() != expected) {
                throw new AssertionError(link + " " + kind + " answered " + answer.statusCode() + ": " + answer.body());
            }
            if (answer.body().contains(foreignMarker) || !answer.body().contains(marker) && !kind.equals("create")) {
                throw new AssertionError(link + " " + kind + " answered with another organization's data: " + answer.body());
            }
            return kind;
        }
    }

    private static Sample sample(long start) {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        String[] fds = new File("/proc/self/fd").list();
        return new Sample(System.currentTimeMillis() - start, heap, fds == null ? -1 : fds.length);
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
    }
}
