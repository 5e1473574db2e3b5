package io.fhirlink.failure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** How a FHIR server that gave no answer is read: too slow (504) or unreachable (502), and why, in a user's words. */
@Tag("unit")
class UpstreamFailuresTest {

    @Test
    void aResponseTimeoutOrDeadline_isTooSlow() {
        assertThat(UpstreamFailures.isResponseTimeout(new TimeoutException("deadline"))).isTrue();
        assertThat(UpstreamFailures.isResponseTimeout(new IOException(new SocketTimeoutException("read timed out")))).isTrue();
    }

    @Test
    void aConnectTimeout_isUnreachability_notSlowness() {
        assertThat(UpstreamFailures.isResponseTimeout(new ConnectTimeoutException("connect"))).isFalse();
        assertThat(UpstreamFailures.isResponseTimeout(new io.netty.channel.ConnectTimeoutException("connect"))).isFalse();
        assertThat(UpstreamFailures.unreachableReason(new io.netty.channel.ConnectTimeoutException("connect")))
                .isEqualTo("connection timed out");
    }

    @Test
    void unreachableReason_namesTheCause_foundAnywhereInTheChain() {
        assertThat(UpstreamFailures.unreachableReason(new IOException(new UnknownHostException("x")))).isEqualTo("host name not found");
        assertThat(UpstreamFailures.unreachableReason(new SSLHandshakeException("pkix"))).isEqualTo("TLS handshake failed");
        assertThat(UpstreamFailures.unreachableReason(new ConnectException("refused"))).isEqualTo("connection refused");
        assertThat(UpstreamFailures.unreachableReason(new IOException("reset"))).isEqualTo("connection failed");
    }

    @Test
    void aPrivateAddressRefusal_isNamedAsSuch_notAsAnUnknownHost() {
        assertThat(UpstreamFailures.unreachableReason(new IOException(new PrivateAddressRefused("localhost"))))
                .isEqualTo("its host resolves to a private or local address, which links may not reach");
    }
}
