package io.fhirlink.upstream;

import io.fhirlink.config.ConfigurationException;
import io.fhirlink.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trust for outbound TLS (Azure AD, FHIR servers, the caller JWKS): the JDK's public CAs plus the certificates in
 * {@code FHIRLINK_TRUSTSTORE} (a PEM bundle or a PKCS12 file), so a private CA or a test stand-in can be trusted
 * without replacing the public ones.
 */
public final class OutboundTls {

    private final X509TrustManager trustManager;
    private final SSLContext sslContext;

    private OutboundTls(X509TrustManager trustManager) throws GeneralSecurityException {
        this.trustManager = trustManager;
        this.sslContext = SSLContext.getInstance("TLS");
        sslContext.init(null, new TrustManager[] {trustManager}, null);
    }

    public static OutboundTls fromSettings(Settings settings) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (X509Certificate ca : defaultTrustManager(null).getAcceptedIssuers()) {
                store.setCertificateEntry("jdk-" + n++, ca);
            }
            if (settings.truststore().isPresent()) {
                for (Certificate extra : readExtra(settings.truststore().get(), settings.truststorePassword().orElse(""))) {
                    store.setCertificateEntry("extra-" + n++, extra);
                }
            }
            return new OutboundTls(defaultTrustManager(store));
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigurationException("FHIRLINK_TRUSTSTORE cannot be loaded (PEM certificates, or PKCS12 with"
                    + " FHIRLINK_TRUSTSTORE_PASSWORD): " + e.getMessage());
        }
    }

    public SSLContext sslContext() {
        return sslContext;
    }

    public X509TrustManager trustManager() {
        return trustManager;
    }

    private static List<Certificate> readExtra(Path file, String password) throws GeneralSecurityException, IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.US_ASCII).contains("-----BEGIN")) {
            try (InputStream in = Files.newInputStream(file)) {
                List<Certificate> certificates = new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
                if (certificates.isEmpty()) {
                    throw new CertificateException("no certificate in " + file);
                }
                return certificates;
            }
        }
        KeyStore pkcs12 = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            pkcs12.load(in, password.toCharArray());
        }
        List<Certificate> certificates = new ArrayList<>();
        for (String alias : Collections.list(pkcs12.aliases())) {
            if (pkcs12.getCertificate(alias) != null) {
                certificates.add(pkcs12.getCertificate(alias));
            }
        }
        return certificates;
    }

    private static X509TrustManager defaultTrustManager(KeyStore store) throws GeneralSecurityException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        for (var tm : factory.getTrustManagers()) {
            if (tm instanceof X509TrustManager x509) {
                return x509;
            }
        }
        throw new GeneralSecurityException("no X509 trust manager");
    }
}
