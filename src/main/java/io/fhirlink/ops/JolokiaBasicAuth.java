package io.fhirlink.ops;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.AuthenticationProvider;
import io.vertx.ext.auth.authentication.Credentials;
import io.vertx.ext.auth.authentication.UsernamePasswordCredentials;
import io.vertx.ext.web.handler.BasicAuthHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.apache.camel.Service;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.component.platform.http.vertx.auth.AuthenticationConfig;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;

/**
 * HTTP basic auth in front of Jolokia on the management server (FHIRLINK_JOLOKIA_USER / FHIRLINK_JOLOKIA_PASSWORD),
 * and only there: health and metrics stay open for probes and scrapers.
 *
 * <p>Camel's own basic auth for the management server ({@code camel.management.basicPropertiesFile}) wants the
 * password in plain text in a file and compares it with {@code Objects.equals}. This adds one entry to Camel's stock
 * management server's own authentication table, so Vert.x's {@link BasicAuthHandler} answers 401 exactly as Camel's
 * would; only the credential check is fhir-link's, in constant time. The entry is in place before the server
 * listens: there is no moment with Jolokia open.
 */
public final class JolokiaBasicAuth {

    static final String REALM = "fhir-link";

    private final byte[] userDigest;
    private final byte[] passwordDigest;

    public JolokiaBasicAuth(String user, String password) {
        this.userDigest = sha256(user);
        this.passwordDigest = sha256(password);
    }

    /** Puts the check in front of the Jolokia path of a management server that has not started yet. */
    public Service protect(Service server, HttpManagementServerConfigurationProperties configuration) {
        AuthenticationConfig.AuthenticationConfigEntry entry = new AuthenticationConfig.AuthenticationConfigEntry();
        entry.setPath(configuration.getJolokiaPath() + "/*");
        entry.setAuthenticationProviderFactory(vertx -> new CredentialCheck());
        entry.setAuthenticationHandlerFactory(new AuthenticationConfig.AuthenticationHandlerFactory() {
            @Override
            public <T extends AuthenticationProvider> BasicAuthHandler createAuthenticationHandler(T provider) {
                return BasicAuthHandler.create(provider, REALM);
            }
        });
        AuthenticationConfig authentication = ((ManagementHttpServer) server).getConfiguration().getAuthenticationConfig();
        authentication.getEntries().add(entry);
        authentication.setEnabled(true);
        return server;
    }

    /** True for the configured user and password; takes as long for any other pair, whatever their lengths. */
    boolean matches(String user, String password) {
        // digests have one length, so MessageDigest.isEqual compares them in constant time; & runs both
        return MessageDigest.isEqual(userDigest, sha256(user)) & MessageDigest.isEqual(passwordDigest, sha256(password));
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest((value == null ? "" : value).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private final class CredentialCheck implements AuthenticationProvider {

        @Override
        public Future<User> authenticate(Credentials credentials) {
            if (credentials instanceof UsernamePasswordCredentials given && matches(given.getUsername(), given.getPassword())) {
                return Future.succeededFuture(User.fromName(given.getUsername()));
            }
            return Future.failedFuture("wrong Jolokia user or password");
        }

        @Override
        @SuppressWarnings("deprecation")
        public void authenticate(JsonObject credentials, Handler<AsyncResult<User>> result) {
            authenticate(new UsernamePasswordCredentials(credentials)).onComplete(result);
        }
    }
}
