package io.fhirlink.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * One self-signed server certificate per JVM for every HTTPS stand-in.
 *
 * <p>msal4j refuses non-https authorities, so the Azure AD stand-in must speak TLS; the FHIR
 * stand-in does too so the gateway exercises the same trust path it uses against Azure. The
 * certificate is its own trust anchor (no CA): the gateway trusts it through the PEM file given in
 * FHIRLINK_TRUSTSTORE, test clients through {@link #clientSslContext()}. Its SAN names both
 * 127.0.0.1 and localhost because hostname verification checks the SAN, not the CN.
 */
public final class TestCertificates {

    private static final char[] NO_PASSWORD = new char[0];

    /** Holder idiom: generated lazily, once, thread-safely (RSA key generation takes a while). */
    private static final class Holder {
        static final KeyPair KEYS = rsaKeyPair();
        static final X509Certificate CERT = selfSign(KEYS);
        static final Path PEM = writePem(CERT);
    }

    private TestCertificates() {
    }

    /** TLS context for servers: presents the generated certificate. */
    public static SSLContext serverSslContext() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(serverKeyManagers().getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The generated certificate and its key, for servers that take key managers (Vert.x). */
    public static KeyManagerFactory serverKeyManagers() {
        try {
            KeyStore ks = emptyKeyStore();
            ks.setKeyEntry("server", Holder.KEYS.getPrivate(), NO_PASSWORD, new Certificate[] {Holder.CERT});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, NO_PASSWORD);
            return kmf;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** TLS context for test clients: trusts only the generated certificate. */
    public static SSLContext clientSslContext() {
        try {
            KeyStore ts = emptyKeyStore();
            ts.setCertificateEntry("stand-ins", Holder.CERT);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The certificate as a PEM file, in the form the gateway reads from FHIRLINK_TRUSTSTORE. */
    public static Path trustPem() {
        return Holder.PEM;
    }

    /** The certificate itself, for tests that build their own trust material. */
    public static X509Certificate certificate() {
        return Holder.CERT;
    }

    private static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048);
            return gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate selfSign(KeyPair keys) {
        X500Name name = new X500Name("CN=localhost, O=fhir-link tests");
        // Backdate a little so a clock step between processes never makes it "not yet valid".
        Instant now = Instant.now();
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name,
                    BigInteger.valueOf(now.toEpochMilli()),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(2))),
                    name,
                    keys.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")
            }));
            // A leaf, not a CA: it is trusted directly as an anchor, never used to sign others.
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path writePem(X509Certificate cert) {
        try {
            Path dir = Files.createTempDirectory("fhir-link-tls");
            Path file = dir.resolve("stand-ins.pem");
            String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded());
            Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n", StandardCharsets.US_ASCII);
            // deleteOnExit runs in reverse order: register the directory first so it is deleted last.
            dir.toFile().deleteOnExit();
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore emptyKeyStore() throws GeneralSecurityException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            return ks;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
