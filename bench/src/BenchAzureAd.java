import com.sun.net.httpserver.HttpServer;
import io.fhirlink.support.AzureAdStandIn;
import io.fhirlink.support.TestCertificates;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The benchmark's Azure AD: the test suite's {@link AzureAdStandIn} (HTTPS token endpoint, caller JWKS) with one
 * registered application, kept up until the process is stopped.
 *
 * <p>Usage: {@code java BenchAzureAd <state-dir> <tenant> <client-id> <client-secret>}. Writes
 * {@code <state-dir>/aad.env} (shell-sourceable: authority host, JWKS URL, caller issuer pattern, a 12-hour caller
 * token, the stand-in's certificate PEM, the counters URL) once everything is up. Counters are served on plain HTTP,
 * 127.0.0.1 only: {@code GET /counters} answers {@code tokenRequests=N jwksRequests=M}.
 */
public final class BenchAzureAd {

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: BenchAzureAd <state-dir> <tenant> <client-id> <client-secret>");
            System.exit(2);
        }
        Path state = Path.of(args[0]);
        String tenant = args[1];
        String clientId = args[2];
        String secret = args[3];
        Files.createDirectories(state);

        AzureAdStandIn aad = AzureAdStandIn.start();
        aad.registerApp(tenant, clientId, secret, true);
        String callerToken = aad.callerTokenBuilder(tenant, "bench-operator")
                .expiresAt(Instant.now().plus(12, ChronoUnit.HOURS))
                .build();
        // TestCertificates deletes its PEM on exit: keep a copy the bench owns.
        Path pem = state.resolve("aad-stand-in.pem");
        Files.copy(TestCertificates.trustPem(), pem, StandardCopyOption.REPLACE_EXISTING);

        HttpServer counters = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        counters.createContext("/counters", ex -> {
            byte[] body = ("tokenRequests=" + aad.tokenRequests() + " jwksRequests=" + aad.jwksRequests() + "\n")
                    .getBytes(StandardCharsets.US_ASCII);
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        counters.start();

        String env = "AAD_AUTHORITY_HOST='" + aad.authorityHost() + "'\n"
                + "AAD_JWKS_URL='" + aad.jwksUrl() + "'\n"
                + "AAD_CALLER_ISSUERS='" + aad.callerIssuer("{tid}") + "'\n"
                + "AAD_CALLER_TOKEN='" + callerToken + "'\n"
                + "AAD_PEM='" + pem + "'\n"
                + "AAD_COUNTERS_URL='http://127.0.0.1:" + counters.getAddress().getPort() + "/counters'\n";
        Path tmp = state.resolve("aad.env.tmp");
        Files.writeString(tmp, env, StandardCharsets.US_ASCII);
        Files.move(tmp, state.resolve("aad.env"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("bench Azure AD stand-in up at " + aad.authorityHost());

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            counters.stop(0);
            aad.close();
        }));
        Thread.currentThread().join();
    }
}
