package io.fhirlink.support;

import io.fhirlink.support.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLServerSocket;

/**
 * A tiny HTTPS FHIR server written on raw sockets, so it can misbehave in ways a real server library will not: it
 * answers {@code /metadata} and {@code /Patient} normally (the registration probe passes), and fails on chosen
 * paths: resets before answering, cuts a body after the headers, answers slowly, sends a garbage status line or
 * broken chunked framing. It counts the requests it received per path.
 */
public final class FaultyFhirServer implements AutoCloseable {

    public static final String CAPABILITY = """
            {"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"4.0.1",
             "format":["json"],"rest":[{"mode":"server"}]}""";
    public static final String PATIENT = "{\"resourceType\":\"Patient\",\"id\":\"healthy\",\"name\":[{\"family\":\"Intact\"}]}";
    public static final String BUNDLE = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":0}";

    private final ServerSocket server;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final java.util.Set<Socket> accepted = ConcurrentHashMap.newKeySet();

    public FaultyFhirServer() throws IOException {
        server = TestCertificates.serverSslContext().getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        ((SSLServerSocket) server).setNeedClientAuth(false);
        Thread acceptor = new Thread(this::acceptLoop, "faulty-fhir-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String baseUrl() {
        return "https://127.0.0.1:" + server.getLocalPort();
    }

    public int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    /** Connections the gateway holds open to this server right now (idle keep-alive ones included). */
    public int openConnections() {
        return openConnections.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.add(socket);
                Thread t = new Thread(() -> serve(socket), "faulty-fhir-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        openConnections.incrementAndGet();
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String requestLine = head.substring(0, head.indexOf("\r\n"));
                String target = requestLine.split(" ")[1];
                String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
                int length = contentLength(head);
                if (length > 0) {
                    in.readNBytes(length);
                }
                hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
                if (!answer(path, socket, out)) {
                    return;
                }
            }
        } catch (IOException | InterruptedException dropped) {
            // the peer went away, or a fault closed the socket on purpose
        } finally {
            accepted.remove(socket);
            openConnections.decrementAndGet();
        }
    }

    /** Writes the answer for the path; false when the connection must end. */
    private boolean answer(String path, Socket socket, OutputStream out) throws IOException, InterruptedException {
        switch (path) {
            case "/metadata" -> ok(out, CAPABILITY);
            case "/Patient" -> ok(out, BUNDLE);
            case "/Patient/healthy" -> ok(out, PATIENT);
            case "/Patient/reset-before-answer" -> {
                reset(socket);
                return false;
            }
            case "/Patient/cut-small-body" -> {
                // declares 1000 bytes, sends 40, then resets: the body can never be complete
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 1000\r\n\r\n"
                        + PATIENT.substring(0, 40)).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(50);
                reset(socket);
                return false;
            }
            case "/Patient/cut-large-body" -> {
                // a large search: the gateway starts streaming it before the cut
                int declared = 4 * 1024 * 1024;
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: " + declared
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] filler = "{\"resourceType\":\"Bundle\",\"entry\":[".getBytes(StandardCharsets.US_ASCII);
                out.write(filler);
                byte[] entry = "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\"}},".getBytes(StandardCharsets.US_ASCII);
                for (int written = filler.length; written < 600 * 1024; written += entry.length) {
                    out.write(entry);
                }
                out.flush();
                Thread.sleep(200);
                reset(socket);
                return false;
            }
            case "/Patient/slow" -> {
                Thread.sleep(4500);
                ok(out, PATIENT);
            }
            case "/Patient/garbage-status" -> {
                out.write("HTTP/1.1 abc Garbage\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return false;
            }
            case "/Patient/broken-chunks" -> {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "zz\r\n{\"resourceType\"\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(50);
                return false;
            }
            case "/Patient/malformed-json" -> ok(out, "{\"resourceType\":\"Patient\",\"id\":");
            case "/Patient/drip" -> {
                // headers at once, then one byte a second: never idle long enough for a response timeout
                out.write("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 1000\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                for (int i = 0; i < 1000; i++) {
                    Thread.sleep(1000);
                    out.write(' ');
                    out.flush();
                }
            }
            case "/Patient/twice" -> {
                // a complete answer, then a second one nobody asked for, in one write: it must never reach a caller
                byte[] first = answer200("{\"resourceType\":\"Patient\",\"id\":\"first\"}");
                byte[] stray = answer200("{\"resourceType\":\"Patient\",\"id\":\"stray\"}");
                byte[] both = java.util.Arrays.copyOf(first, first.length + stray.length);
                System.arraycopy(stray, 0, both, first.length, stray.length);
                out.write(both);
                out.flush();
            }
            case "/Patient/cut-headers" -> {
                out.write("HTTP/1.1 200 OK\r\nContent-Type: application/fh".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return false;
            }
            case "/Patient/nul-header" -> {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nX-Bad: a\u0000b\r\nContent-Length: 2\r\n\r\n{}")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
            case "/Patient/bare-cr-header" -> {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nX-Bad: a\rInjected: b\r\nContent-Length: 2\r\n\r\n{}")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
            case "/Patient/hop-headers" -> {
                byte[] body = PATIENT.getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nConnection: keep-alive, X-Upstream-Hop\r\n"
                        + "X-Upstream-Hop: internal\r\nStrict-Transport-Security: max-age=31536000\r\nX-End-To-End: kept\r\n"
                        + "Location: " + baseUrl() + "0/Patient/1\r\nContent-Location: " + baseUrl() + "/Patient/1\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            }
            default -> {
                byte[] body = "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"not-found\"}]}"
                        .getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 404 Not Found\r\nContent-Type: application/fhir+json\r\nContent-Length: " + body.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            }
        }
        return true;
    }

    private static byte[] answer200(String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    private static void ok(OutputStream out, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json; charset=utf-8\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    /** Closes with SO_LINGER 0: the peer sees a TCP reset, not an orderly end. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (SocketException ignored) {
            // already gone
        } catch (IOException ignored) {
            // already gone
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                return Integer.parseInt(line.substring(colon + 1).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : accepted) {
            socket.close(); // keep-alive connections too: afterwards nothing of this server answers
        }
    }
}
