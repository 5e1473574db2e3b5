package io.fhirlink.proxy;

import io.fhirlink.failure.GatewayException;
import io.fhirlink.fhir.FhirRequest;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.camel.Exchange;

/**
 * First step of the proxy: reads the raw request URI (Vert.x normalises the path it routes on, so dot segments
 * must be caught in the raw form), refuses any path that could leave the link's base, and refuses the
 * interactions the platform does not offer through a link.
 */
public final class FhirRequestParser {

    /** The HTTP methods of FHIR's RESTful API. */
    static final Set<String> FHIR_METHODS = new LinkedHashSet<>(
            List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"));

    public void parse(Exchange exchange) {
        String uri = exchange.getMessage().getHeader(Exchange.HTTP_URI, String.class);
        String method = exchange.getMessage().getHeader(Exchange.HTTP_METHOD, String.class);
        exchange.setProperty(FhirRequest.PROPERTY, parse(uri, method));
    }

    FhirRequest parse(String rawUri, String method) {
        if (rawUri == null || !rawUri.startsWith("/")) {
            throw GatewayException.badRequest("The request URI is not a path.");
        }
        rawUri = percentEncodeRawBytes(rawUri);
        int q = rawUri.indexOf('?');
        String rawPath = q < 0 ? rawUri : rawUri.substring(0, q);
        String rawQuery = q < 0 ? null : rawUri.substring(q + 1);
        int slash = rawPath.indexOf('/', 1);
        String name = slash < 0 ? rawPath.substring(1) : rawPath.substring(1, slash);
        String path = slash < 0 ? "" : rawPath.substring(slash + 1);
        refuseEscapes(path);
        if (rawQuery != null && hasControlCharacter(rawQuery)) {
            throw GatewayException.badRequest("The query string holds control characters.");
        }
        refuseUnsupported(path);
        String verb = method == null ? "GET" : method.toUpperCase(Locale.ROOT);
        if (!FHIR_METHODS.contains(verb)) {
            throw new GatewayException(405, "not-supported", "Method not allowed",
                    "FHIR does not use the HTTP method " + verb.replaceAll("[^A-Z]", "?") + ".")
                    .withHeader("Allow", String.join(", ", FHIR_METHODS));
        }
        return new FhirRequest(name.toLowerCase(Locale.ROOT), path, rawQuery == null || rawQuery.isEmpty() ? null : rawQuery,
                verb);
    }

    /**
     * Netty reads the request line as ISO-8859-1, so a byte above 0x7F sent unencoded (a browser or curl sending
     * {@code name=Zoë} as UTF-8) arrives as the character of the same value; sent on like that, the upstream client
     * would encode each such character as UTF-8 again ({@code Zo%C3%83%C2%AB}, another search). Those bytes are put
     * back and percent-encoded, as RFC 3986 wants them ({@code Zo%C3%AB}); bytes that are not UTF-8 are refused, as
     * their meaning cannot be known.
     */
    static String percentEncodeRawBytes(String rawUri) {
        if (isAscii(rawUri)) {
            return rawUri; // the usual case: nothing allocated
        }
        byte[] bytes = rawUri.getBytes(StandardCharsets.ISO_8859_1);
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException notUtf8) {
            throw GatewayException.badRequest("The request URI holds bytes that are not UTF-8; percent-encode it as "
                    + "UTF-8 (RFC 3986), e.g. name=Zo%C3%AB for name=Zoë.");
        }
        StringBuilder encoded = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            if (b >= 0) {
                encoded.append((char) b);
            } else {
                encoded.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
            }
        }
        return encoded.toString();
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasControlCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@link RawPathGuard} refuses such paths before routing; checked again here with the same {@link PathSafety}
     * because the guard is installed on the router only once the routes have started.
     */
    private static void refuseEscapes(String rawPath) {
        if (rawPath.startsWith("/") || !PathSafety.isSafe(rawPath)) {
            throw pathRefused();
        }
    }

    /** The path is ASCII here (raw bytes above 0x7F were percent-encoded): compared ignoring case, no copy made. */
    private static void refuseUnsupported(String path) {
        if (path.regionMatches(true, 0, ".well-known/", 0, 12)) {
            throw notSupported("SMART on FHIR configuration is not available through a linked FHIR server; "
                    + "authenticate to the gateway with an Azure AD token instead.");
        }
        for (int segment = 0; segment < path.length(); ) {
            if (path.regionMatches(true, segment, "$export", 0, 7) || path.regionMatches(true, segment, "%24export", 0, 9)) {
                throw notSupported("$export is not supported through a linked FHIR server; run the export on the "
                        + "Azure FHIR service directly.");
            }
            int slash = path.indexOf('/', segment);
            segment = slash < 0 ? path.length() : slash + 1;
        }
    }

    private static GatewayException pathRefused() {
        return new GatewayException(400, "invalid", "Bad request", PathSafety.REFUSED);
    }

    private static GatewayException notSupported(String detail) {
        return new GatewayException(501, "not-supported", "Not implemented", detail);
    }
}
