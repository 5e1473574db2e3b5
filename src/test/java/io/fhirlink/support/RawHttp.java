package io.fhirlink.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Sends a request byte for byte over a socket (java.net.http refuses CR/LF, raw control bytes and malformed
 * escapes, which is exactly what these tests need to send) and reads the answer until the server closes.
 */
public final class RawHttp {

    public record Answer(int status, String head, String body) {
    }

    private RawHttp() {
    }

    /** {@code \xHH} becomes the byte HH; {@code {{REPEAT c n}}} c n times; {@code {{MANY_HEADERS n}}} n header lines. */
    public static byte[] expand(String text) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("\\x", i) && i + 4 <= text.length()) {
                out.append((char) Integer.parseInt(text.substring(i + 2, i + 4), 16));
                i += 4;
            } else if (text.startsWith("{{REPEAT ", i)) {
                int end = text.indexOf("}}", i);
                String[] parts = text.substring(i + 9, end).split(" ");
                out.append(parts[0].repeat(Integer.parseInt(parts[1])));
                i = end + 2;
            } else if (text.startsWith("{{MANY_HEADERS ", i)) {
                int end = text.indexOf("}}", i);
                int n = Integer.parseInt(text.substring(i + 15, end));
                for (int h = 0; h < n; h++) {
                    out.append(h == 0 ? "" : "\r\n").append("X-Filler-").append(h).append(": ").append("v".repeat(40));
                }
                i = end + 2;
            } else {
                out.append(text.charAt(i++));
            }
        }
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    public static Answer send(int port, byte[] request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException closedEarly) {
                // the server may refuse before reading everything (oversized): its answer is still there to read
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    bytes.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException | java.net.SocketException stopped) {
                // keep what arrived
            }
            String text = bytes.toString(StandardCharsets.ISO_8859_1);
            if (!text.startsWith("HTTP/1.")) {
                return new Answer(-1, text, "");
            }
            int split = text.indexOf("\r\n\r\n");
            String head = split < 0 ? text : text.substring(0, split);
            String body = split < 0 ? "" : text.substring(split + 4);
            return new Answer(Integer.parseInt(head.substring(9, 12)), head, body);
        }
    }

    public static byte[] request(String method, String target, int port, String token, byte[] extraHeaders, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String start = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "Connection: close\r\n";
        out.writeBytes(start.getBytes(StandardCharsets.ISO_8859_1));
        if (extraHeaders != null && extraHeaders.length > 0) {
            out.writeBytes(extraHeaders);
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        if (body != null) {
            out.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.writeBytes(body);
        }
        return out.toByteArray();
    }
}
