package io.fhirlink.support;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes the Azure AD stand-in's JSON answers. Refusals have Azure's exact shape because the gateway parses the
 * AADSTS code out of msal4j's exception message.
 */
final class AadResponses {

    private static final DateTimeFormatter AAD_TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private final AadUrls urls;

    AadResponses(AadUrls urls) {
        this.urls = urls;
    }

    void refuse(HttpExchange ex, AadRefusal refusal) throws IOException {
        String traceId = UUID.randomUUID().toString();
        // Azure echoes the client's correlation id (msal4j sends client-request-id).
        String correlationId = ex.getRequestHeaders().getFirst("client-request-id");
        if (correlationId == null) {
            correlationId = UUID.randomUUID().toString();
        }
        String timestamp = AAD_TIMESTAMP.format(Instant.now());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", refusal.error);
        body.put("error_description", "AADSTS" + refusal.code + ": " + refusal.getMessage() + "\r\nTrace ID: " + traceId
                + "\r\nCorrelation ID: " + correlationId + "\r\nTimestamp: " + timestamp);
        body.put("error_codes", List.of(refusal.code));
        body.put("timestamp", timestamp);
        body.put("trace_id", traceId);
        body.put("correlation_id", correlationId);
        body.put("error_uri", urls.errorPage(refusal.code));
        send(ex, refusal.status, body);
    }

    static void send(HttpExchange ex, int status, Map<String, ?> json) throws IOException {
        byte[] bytes = JSONObjectUtils.toJSONString(json).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store, no-cache");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }
}
