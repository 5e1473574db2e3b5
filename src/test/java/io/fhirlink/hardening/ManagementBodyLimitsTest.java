package io.fhirlink.hardening;

import static io.fhirlink.support.GatewayHarness.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.support.GatewayHarness;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The management API's side of the body limits: no request body is read before the caller's token is checked, and a body
 * over 64 KiB is refused while it is read (413, connection closed), so anonymous or oversized uploads cannot fill
 * the gateway's memory. The requests go over a raw socket and send less than they declare: a gateway that read the
 * body first would still be waiting for it when the socket gives up.
 */
@Timeout(value = 60)
class ManagementBodyLimitsTest {

    private static final int DECLARED_45_MIB = 45 * 1024 * 1024;
    private static final int OVER_64_KIB = 100 * 1024;
    private static final String PROBLEM_JSON = "application/problem+json";

    @RegisterExtension
    static final GatewayHarness harness = GatewayHarness.forClass();
    private static int port;

    /**
     * What the gateway answered, whether the answer said {@code Connection: close} (so a client keeping connections
     * alive does not send its next request on this one), and whether the gateway then closed the connection rather
     * than wait for more.
     */
    record Reply(int status, String contentType, boolean announcedClose, boolean closed) {
    }

    @BeforeAll
    static void start() throws Exception {
        port = harness.gateway().settings().httpPort();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "POST, /FhirServers/aadfhirrecord",
            "PUT, /FhirServers/aadfhirrecord/someone-elses",
            "GET, /FhirServers/aadfhirrecord",
            "GET, /FhirServers/aadfhirrecord/someone-elses",
            "DELETE, /FhirServers/aadfhirrecord/someone-elses"})
    void anonymousRequestDeclaring45MiB_is401WithoutReadingTheBody_andTheConnectionClosed(String method, String path)
            throws Exception {
        byte[] head = head(method, path, null, "Content-Length: " + DECLARED_45_MIB);

        Reply reply = send(head, filler(1024));

        assertThat(reply).isEqualTo(new Reply(401, PROBLEM_JSON, true, true));
    }

    @Test
    void authenticatedBodyDeclaredOver64KiB_is413_andTheConnectionClosed() throws Exception {
        byte[] head = head("POST", "/FhirServers/aadfhirrecord", harness.token(TENANT), "Content-Length: " + OVER_64_KIB);

        Reply reply = send(head, filler(OVER_64_KIB));

        assertThat(reply).isEqualTo(new Reply(413, PROBLEM_JSON, true, true));
    }

    @Test
    void authenticatedChunkedBodyPassing64KiB_is413WhileBeingRead_andTheConnectionClosed() throws Exception {
        byte[] head = head("PUT", "/FhirServers/aadfhirrecord/chunked", harness.token(TENANT), "Transfer-Encoding: chunked");
        ByteArrayOutputStream chunks = new ByteArrayOutputStream();
        for (int i = 0; i < 5; i++) { // 80 KiB and no last chunk: only a gateway reading as it goes can answer
            chunks.writeBytes("4000\r\n".getBytes(StandardCharsets.ISO_8859_1));
            chunks.writeBytes(filler(16 * 1024));
            chunks.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }

        Reply reply = send(head, chunks.toByteArray());

        assertThat(reply).isEqualTo(new Reply(413, PROBLEM_JSON, true, true));
    }

    @Test
    void normalRegistration_stillSucceeds() throws Exception {
        assertThat(harness.register("within-limits").statusCode()).isEqualTo(201);
    }

    // ------------------------------------------------------------------ one request over a raw socket

    /** A keep-alive request head: the gateway, not the client, decides whether the connection ends. */
    private static byte[] head(String method, String path, String token, String bodyFraming) {
        String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
                + "Content-Type: application/json\r\n" + bodyFraming + "\r\n\r\n";
        return head.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] filler(int bytes) {
        byte[] body = new byte[bytes];
        Arrays.fill(body, (byte) ' ');
        return body;
    }

    /**
     * Sends the head and (part of) the body, then reads until the gateway closes the connection or 5 s pass with
     * nothing more arriving. A reset after the answer counts as closed: the gateway closed with our bytes unread.
     */
    private static Reply send(byte[] head, byte[] body) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(head);
                out.write(body);
                out.flush();
            } catch (IOException refusedEarly) {
                // the gateway may answer and close before taking everything: its answer is still there to read
            }
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            boolean closed;
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    received.write(buffer, 0, n);
                }
                closed = true;
            } catch (SocketTimeoutException stillOpen) {
                closed = false;
            } catch (SocketException reset) {
                closed = true;
            }
            return parse(received.toString(StandardCharsets.ISO_8859_1), closed);
        }
    }

    private static Reply parse(String text, boolean closed) {
        if (!text.startsWith("HTTP/1.")) {
            return new Reply(-1, null, false, closed);
        }
        int end = text.indexOf("\r\n\r\n");
        String[] lines = (end < 0 ? text : text.substring(0, end)).split("\r\n");
        String contentType = null;
        boolean announcedClose = false;
        for (String line : lines) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-type:")) {
                contentType = line.substring("content-type:".length()).split(";")[0].trim();
            }
            announcedClose |= lower.startsWith("connection:") && lower.contains("close");
        }
        return new Reply(Integer.parseInt(lines[0].substring(9, 12)), contentType, announcedClose, closed);
    }
}
