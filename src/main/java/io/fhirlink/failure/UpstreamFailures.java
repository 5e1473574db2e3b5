package io.fhirlink.failure;

import static io.fhirlink.failure.Throwables.find;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.HttpHostConnectException;

/**
 * What went wrong when a FHIR server gave no answer, in words a user can act on. One reading for the proxy (502/504)
 * and the registration probe (400).
 */
public final class UpstreamFailures {

    private UpstreamFailures() {
    }

    /** Connected, then no answer in time (not a connect timeout, which is unreachability). */
    public static boolean isResponseTimeout(Throwable t) {
        // the proxy's Vert.x client reports its response timeout and the deadline as a TimeoutException
        return find(t, TimeoutException.class) != null
                || find(t, SocketTimeoutException.class) != null && find(t, ConnectTimeoutException.class) == null
                        && find(t, io.netty.channel.ConnectTimeoutException.class) == null;
    }

    /** Why no connection could be made or kept. */
    public static String unreachableReason(Throwable t) {
        if (find(t, PrivateAddressRefused.class) != null) {
            return "its host resolves to a private or local address, which links may not reach";
        }
        if (find(t, UnknownHostException.class) != null) {
            return "host name not found";
        }
        if (find(t, SSLException.class) != null) {
            return "TLS handshake failed";
        }
        if (find(t, ConnectTimeoutException.class) != null || find(t, io.netty.channel.ConnectTimeoutException.class) != null) {
            return "connection timed out";
        }
        if (find(t, ConnectException.class) != null || find(t, HttpHostConnectException.class) != null) {
            return "connection refused";
        }
        return "connection failed";
    }
}
