package io.fhirlink.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A FHIR server stand-in for size, not behaviour: it answers the registration probe and serves a searchset Bundle
 * of any number of entries, generated as it is written (chunked), each entry's fullUrl carrying its own base URL.
 * Tokens are not checked: the Azure-like checks live in {@link AzureFhirStandIn}.
 */
public final class LargeBundleServer implements AutoCloseable {

    private final HttpsServer server;
    private final String baseUrl;

    private LargeBundleServer() throws IOException {
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(TestCertificates.serverSslContext()));
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "large-bundle-server");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
        baseUrl = "https://127.0.0.1:" + server.getAddress().getPort();
    }

    public static LargeBundleServer start() throws IOException {
        return new LargeBundleServer();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** One entry of the large bundle, about 1 KB; {@code entries} of them make the body. */
    public static String entry(String base, int i) {
        return "{\"fullUrl\":\"" + base + "/Patient/p" + i + "\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p" + i
                + "\",\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">"
                + "x".repeat(800) + "</div>\"},\"name\":[{\"family\":\"Large\",\"given\":[\"P" + i + "\"]}]},"
                + "\"search\":{\"mode\":\"match\"}}";
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String query = exchange.getRequestURI().getRawQuery();
        exchange.getResponseHeaders().set("Content-Type", "application/fhir+json;charset=utf-8");
        if (path.equals("/metadata")) {
            writeWhole(exchange, "{\"resourceType\":\"CapabilityStatement\",\"status\":\"active\",\"kind\":\"instance\","
                    + "\"fhirVersion\":\"4.0.1\",\"format\":[\"json\"],\"implementation\":{\"url\":\"" + baseUrl + "\"}}");
        } else if (path.equals("/Patient") && query != null && query.contains("entries=")) {
            int entries = Integer.parseInt(query.replaceAll(".*entries=(\\d+).*", "$1"));
            exchange.sendResponseHeaders(200, 0); // chunked: the length is not known up front
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(("{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"link\":[{\"relation\":\"self\",\"url\":\""
                        + baseUrl + "/Patient?" + query + "\"}],\"entry\":[").getBytes(StandardCharsets.UTF_8));
                for (int i = 0; i < entries; i++) {
                    out.write(((i == 0 ? "" : ",") + entry(baseUrl, i)).getBytes(StandardCharsets.UTF_8));
                }
                out.write("]}".getBytes(StandardCharsets.UTF_8));
            }
        } else {
            writeWhole(exchange, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[]}");
        }
    }

    private static void writeWhole(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
