package io.fhirlink.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;

/** The W3C traceparent rules, without Camel or a socket. */
@Tag("unit")
class TraceContextTest {

    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void wellFormedTraceparent_isContinued_withItsTracestate() {
        TraceContext trace = TraceContext.fromHeaders(VALID, List.of("congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7"));

        assertThat(trace.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(trace.parentId()).isEqualTo("00f067aa0ba902b7");
        assertThat(trace.flags()).isEqualTo("01");
        assertThat(trace.traceState()).isEqualTo("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
        assertThat(trace.traceparentFor("b7ad6b7169203331"))
                .isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01");
    }

    @Test
    void laterVersion_withMoreFields_isAccepted() {
        assertThat(TraceContext.wellFormed("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", // version 00 has no more fields
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", // misplaced dash
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "garbage", ""})
    void malformedTraceparent_startsANewTrace(String traceparent) {
        TraceContext trace = TraceContext.fromHeaders(traceparent, "congo=t61rcWkgMzE");

        assertThat(trace.traceId()).matches("[0-9a-f]{32}").isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(trace.parentId()).isNull();
        assertThat(trace.traceState()).isNull();
    }

    @Test
    void repeatedTraceparent_isAmbiguous_soANewTraceStarts() {
        assertThat(TraceContext.fromHeaders(List.of(VALID, VALID), null).parentId()).isNull();
    }

    @Test
    void newIds_areHexAndNeverAllZero() {
        for (int i = 0; i < 1000; i++) {
            assertThat(TraceContext.started().traceId()).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
            assertThat(TraceContext.newSpanId()).matches("[0-9a-f]{16}").isNotEqualTo("0".repeat(16));
        }
    }

    @Test
    void tracestateWithControlCharacters_isDropped() {
        assertThat(TraceContext.fromHeaders(VALID, "congo=t61\nrcWkgMzE").traceState()).isNull();
    }
}
