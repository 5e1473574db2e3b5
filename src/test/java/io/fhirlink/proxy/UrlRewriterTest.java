package io.fhirlink.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("unit")
class UrlRewriterTest {

    private static final String FROM = "https://ws-fhir.fhir.azurehealthcareapis.com";
    private static final String TO = "http://gw:8080/clinic";

    @Test
    void rewritesEveryUpstreamUrl_butNotALongerHostName() {
        String body = "{\"url\":\"" + FROM + "/Patient?ct=abc\",\"fullUrl\":\"" + FROM + "/Patient/1\","
                + "\"other\":\"" + FROM + ".evil.example/x\",\"end\":\"" + FROM + "\"}";

        assertThat(rewrite(body, 7)).isEqualTo(body.replace(FROM + "/", TO + "/").replace(FROM + "\"", TO + "\""));
    }

    @Test
    void matchesSplitAcrossReadsAreFound_whateverTheReadSizes() {
        StringBuilder body = new StringBuilder();
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            body.append("x".repeat(random.nextInt(50))).append(FROM.substring(0, random.nextInt(FROM.length())))
                    .append("|").append(FROM).append("/Patient/").append(i).append('"');
        }
        String expected = body.toString().replace(FROM + "/", TO + "/");

        for (int readSize : new int[] {1, 3, 64, 8192}) {
            assertThat(rewrite(body.toString(), readSize)).isEqualTo(expected);
        }
    }

    @Test
    void inMemoryRewrite_givesTheSameBytesAsTheChunkedRewrite() {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            body.append("{\"fullUrl\":\"").append(FROM).append("/Patient/").append(i).append("\",\"x\":\"")
                    .append(FROM).append(".evil.example\",\"end\":\"").append(FROM).append('"');
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);

        byte[] rewritten = UrlRewriter.rewrite(bytes, FROM.getBytes(StandardCharsets.UTF_8),
                TO.getBytes(StandardCharsets.UTF_8));

        assertThat(new String(rewritten, StandardCharsets.UTF_8)).isEqualTo(rewrite(body.toString(), 8192));
    }

    @Test
    void aHostNameGoingOnInTheNextRead_isNotRewritten_whereverTheReadsSplit() {
        StringBuilder body = new StringBuilder();
        Random random = new Random(7);
        for (int i = 0; i < 3000; i++) {
            body.append("y".repeat(random.nextInt(40))).append(FROM)
                    .append(switch (random.nextInt(5)) {
                        case 0 -> ".evil.example/x";
                        case 1 -> ":8443/x";
                        case 2 -> "-b/x";
                        case 3 -> "\"";
                        default -> "/Patient/" + i;
                    });
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        String inMemory = new String(UrlRewriter.rewrite(bytes, FROM.getBytes(StandardCharsets.UTF_8),
                TO.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
        assertThat(inMemory).contains(FROM + ".evil.example/x", FROM + ":8443/x", FROM + "-b/x", TO + "\"", TO + "/Patient/");

        for (int readSize : new int[] {1, 2, FROM.length() - 1, FROM.length(), FROM.length() + 1, 1000, 70_000}) {
            assertThat(rewrite(body.toString(), readSize)).as("read size %d", readSize).isEqualTo(inMemory);
        }
    }

    @Test
    void aShortBody_rewrittenToAMuchShorterBase_inMemory() {
        // an empty searchset with its self link: 16 × (length difference) once exceeded the body's size
        String body = "{\"link\":[{\"url\":\"" + FROM + "/Patient\"}]}";
        byte[] rewritten = UrlRewriter.rewrite(body.getBytes(StandardCharsets.UTF_8),
                FROM.getBytes(StandardCharsets.UTF_8), "http://gw".getBytes(StandardCharsets.UTF_8));

        assertThat(new String(rewritten, StandardCharsets.UTF_8)).isEqualTo(body.replace(FROM, "http://gw"));
    }

    @Test
    void aBodyEndingInAPrefixOfThePattern_isPassedWhole() {
        String body = "abc" + FROM.substring(0, 20);

        assertThat(rewrite(body, 5)).isEqualTo(body);
    }

    /**
     * Feeds the body in chunks of {@code chunkSize} bytes, as a streamed answer arrives, in turn as a buffer of its
     * own, as a slice of a larger one (the rewriter scans a heap buffer where it lies) and in direct memory.
     */
    private static String rewrite(String body, int chunkSize) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Buffer whole = Buffer.buffer(bytes);
        UrlRewriter rewriter = new UrlRewriter(FROM.getBytes(StandardCharsets.UTF_8), TO.getBytes(StandardCharsets.UTF_8));
        Buffer out = Buffer.buffer();
        for (int at = 0, n = 0; at < bytes.length; at += chunkSize, n++) {
            int end = Math.min(bytes.length, at + chunkSize);
            Buffer chunk = switch (n % 3) {
                case 0 -> Buffer.buffer(Arrays.copyOfRange(bytes, at, end));
                case 1 -> whole.slice(at, end);
                default -> Buffer.buffer(Unpooled.directBuffer(end - at).writeBytes(bytes, at, end - at));
            };
            out.appendBuffer(rewriter.next(chunk));
        }
        out.appendBuffer(rewriter.end());
        assertThat(whole.getBytes()).as("the caller's bytes, passed on, are not changed").isEqualTo(bytes);
        return out.toString(StandardCharsets.UTF_8);
    }
}
