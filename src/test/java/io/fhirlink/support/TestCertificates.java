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

    // ---------------------------------------------------------------- client certificates (link credentials)

    /** A fresh RSA key pair of {@code bits} bits (1024 to make a weak one). */
    public static KeyPair rsaKeys(int bits) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(bits);
            return gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh EC key pair on secp256r1. */
    public static KeyPair ecKeys() {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
            return gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed client certificate as an app registration takes one: valid from {@code notBefore} to {@code notAfter}. */
    public static X509Certificate clientCertificate(KeyPair keys, String commonName, Instant notBefore, Instant notAfter) {
        X500Name name = new X500Name("CN=" + commonName + ", O=fhir-link tests");
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    BigInteger.valueOf(System.nanoTime()), Date.from(notBefore), Date.from(notAfter), name, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            String signature = "EC".equals(keys.getPrivate().getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(signature).build(keys.getPrivate())));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client certificate valid from an hour ago for {@code days} days. */
    public static X509Certificate clientCertificate(KeyPair keys, String commonName, int days) {
        Instant now = Instant.now();
        return clientCertificate(keys, commonName, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(days)));
    }

    public static String pem(X509Certificate certificate) {
        try {
            return pem("CERTIFICATE", certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key as unencrypted PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), as `openssl req -nodes` writes it. */
    public static String pem(java.security.PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    /** The certificate and its key in one PEM, as a user pastes it into clientCertificate. */
    public static String pemWithKey(X509Certificate certificate, java.security.PrivateKey key) {
        return pem(certificate) + pem(key);
    }

    /** The certificate and key as base64 PKCS#12 (a .pfx), protected with {@code password}. */
    public static String pkcs12Base64(X509Certificate certificate, java.security.PrivateKey key, String password) {
        try {
            KeyStore store = emptyKeyStore();
            store.setKeyEntry("client", key, password.toCharArray(), new Certificate[] {certificate});
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            store.store(out, password.toCharArray());
            return Base64.getEncoder().encodeToString(out.toByteArray());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes a PEM (certificate and key) to a temporary file, as an operator mounts FHIRLINK_PLATFORM_CLIENT_CERTIFICATE. */
    public static Path writeTemporaryPem(String pem) {
        try {
            Path file = Files.createTempFile("fhir-link-client", ".pem");
            Files.writeString(file, pem, StandardCharsets.US_ASCII);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The SHA-1 thumbprint in upper-case hex, as the Azure portal lists a certificate. */
    public static String thumbprint(X509Certificate certificate) {
        try {
            return java.util.HexFormat.of().withUpperCase()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
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
