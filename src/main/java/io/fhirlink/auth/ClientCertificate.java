package io.fhirlink.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;

/**
 * A link's certificate credential: the private key and its certificate (chain), read from what a user sends (a PEM
 * with the certificate and its key, or base64 PKCS#12 with a password) and from what the gateway stores (the chain as
 * PEM, the key as PKCS#8 PEM, sealed). {@link #read} refuses what Azure AD or msal4j would refuse later: a key that is
 * not the certificate's, a certificate out of its validity, a weak key, a key type msal4j cannot sign with (it signs
 * client assertions with RS256 only). The key is never part of {@link #toString()}.
 */
public final class ClientCertificate {

    public static final int MIN_RSA_BITS = 2048;
    public static final int MIN_EC_BITS = 256;

    /** A certificate or key that cannot be used, with a message for the user (it never holds key material). */
    public static final class Unusable extends RuntimeException {
        public Unusable(String message) {
            super(message, null, false, false);
        }
    }

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;

    private ClientCertificate(PrivateKey privateKey, List<X509Certificate> chain) {
        this.privateKey = privateKey;
        this.chain = List.copyOf(chain);
    }

    /**
     * What a user sent as {@code clientCertificate}: PEM text holding the certificate (first: the one registered in
     * the app registration; then its issuers, if any) and its unencrypted private key, or base64 PKCS#12 opened with
     * {@code password}. Checked at {@code now}.
     */
    public static ClientCertificate read(String sent, String password, Instant now) {
        ClientCertificate read = sent.strip().startsWith("-----BEGIN") ? fromPem(sent, password) : fromPkcs12(sent, password);
        read.check(now);
        return read;
    }

    /** What the gateway stored: the chain PEM and the opened PKCS#8 key PEM (both as {@link #chainPem()}/{@link #keyPem()} wrote them). */
    public static ClientCertificate stored(String chainPem, String keyPem) {
        return fromPem(chainPem + "\n" + keyPem, null);
    }

    private static ClientCertificate fromPem(String text, String password) {
        if (password != null) {
            throw new Unusable("a password is only used with a PKCS#12 (.pfx) file; a PEM key must be unencrypted"
                    + " (or send the certificate as base64 PKCS#12 with clientCertificatePassword)");
        }
        List<X509Certificate> certificates = new ArrayList<>();
        PrivateKey key = null;
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new Unusable("holds a PEM block (" + type + ") that is not valid base64");
            }
            switch (type) {
                case "CERTIFICATE" -> certificates.add(certificate(der));
                case "PRIVATE KEY" -> key = onlyKey(key, pkcs8(der));
                case "RSA PRIVATE KEY" -> key = onlyKey(key, pkcs8(rsaPkcs1ToPkcs8(der)));
                case "ENCRYPTED PRIVATE KEY" -> throw new Unusable("holds an encrypted private key; send the key"
                        + " unencrypted in the PEM, or the certificate as base64 PKCS#12 with clientCertificatePassword");
                case "EC PRIVATE KEY" -> throw new Unusable("holds an EC key; Azure AD client assertions from this gateway"
                        + " are signed RS256: use an RSA key of at least " + MIN_RSA_BITS + " bits");
                default -> throw new Unusable("holds a PEM block of type '" + type + "'; expected CERTIFICATE and PRIVATE KEY");
            }
        }
        if (certificates.isEmpty()) {
            throw new Unusable("holds no certificate: send the PEM certificate (-----BEGIN CERTIFICATE-----) with its private key");
        }
        if (key == null) {
            throw new Unusable("holds no private key: send the certificate's private key (-----BEGIN PRIVATE KEY-----) in the same PEM");
        }
        return new ClientCertificate(key, certificates);
    }

    private static ClientCertificate fromPkcs12(String base64, String password) {
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new Unusable("is neither PEM (-----BEGIN CERTIFICATE-----) nor base64 PKCS#12");
        }
        KeyStore store;
        try {
            store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(bytes), password == null ? new char[0] : password.toCharArray());
        } catch (IOException e) {
            throw new Unusable(password == null
                    ? "is a PKCS#12 file that needs its password: send it as clientCertificatePassword"
                    : "is not a PKCS#12 file that clientCertificatePassword opens (wrong password, or not PKCS#12)");
        } catch (GeneralSecurityException e) {
            throw new Unusable("is not a PKCS#12 file this gateway can read");
        }
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (!store.isKeyEntry(alias)) {
                    continue;
                }
                Key key = store.getKey(alias, password == null ? new char[0] : password.toCharArray());
                Certificate[] chain = store.getCertificateChain(alias);
                if (key instanceof PrivateKey privateKey && chain != null && chain.length > 0) {
                    List<X509Certificate> certificates = new ArrayList<>();
                    for (Certificate c : chain) {
                        certificates.add((X509Certificate) c);
                    }
                    return new ClientCertificate(privateKey, certificates);
                }
            }
        } catch (GeneralSecurityException e) {
            throw new Unusable("is a PKCS#12 file whose private key clientCertificatePassword does not open");
        }
        throw new Unusable("is a PKCS#12 file without a private key and its certificate");
    }

    /** The checks Azure AD (or msal4j) would otherwise fail later, each with what to do. */
    private void check(Instant now) {
        X509Certificate leaf = certificate();
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            throw new Unusable("has expired (its notAfter is " + leaf.getNotAfter().toInstant() + "); create a new"
                    + " certificate, upload it to the app registration (Certificates & secrets) and send it with its key");
        }
        if (now.isBefore(leaf.getNotBefore().toInstant())) {
            throw new Unusable("is not valid yet (its notBefore is " + leaf.getNotBefore().toInstant() + ")");
        }
        PublicKey publicKey = leaf.getPublicKey();
        if (publicKey instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < MIN_RSA_BITS) {
                throw new Unusable("has a weak key (RSA " + bits + " bits); use an RSA key of at least " + MIN_RSA_BITS + " bits");
            }
        } else if (publicKey instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            if (bits < MIN_EC_BITS) {
                throw new Unusable("has a weak key (EC " + bits + " bits); use an RSA key of at least " + MIN_RSA_BITS + " bits");
            }
            throw new Unusable("has an EC key; Azure AD client assertions from this gateway are signed RS256: use an RSA"
                    + " key of at least " + MIN_RSA_BITS + " bits");
        } else {
            throw new Unusable("has a " + publicKey.getAlgorithm() + " key; use an RSA key of at least " + MIN_RSA_BITS + " bits");
        }
        if (!"RSA".equals(privateKey.getAlgorithm()) || !signsFor(publicKey)) {
            throw new Unusable("has a private key that does not belong to its certificate (the key must be the one the"
                    + " certificate was made for)");
        }
    }

    /** The key signs a random challenge that the certificate's public key verifies: they are one pair. */
    private boolean signsFor(PublicKey publicKey) {
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The certificate registered in the app registration (the first of the chain). */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    /** The SHA-1 thumbprint in upper-case hex, as the Azure portal lists it under Certificates & secrets. */
    public String thumbprint() {
        return thumbprint(certificate());
    }

    public static String thumbprint(X509Certificate certificate) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String subject() {
        return certificate().getSubjectX500Principal().getName(X500Principal.RFC2253);
    }

    public Instant notAfter() {
        return certificate().getNotAfter().toInstant();
    }

    /** The chain as PEM: public, stored as it is. */
    public String chainPem() {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate c : chain) {
            try {
                pem.append(pem("CERTIFICATE", c.getEncoded()));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return pem.toString();
    }

    /** The private key as PKCS#8 PEM: only ever sealed (SecretCipher) or held in memory. */
    public String keyPem() {
        return pem("PRIVATE KEY", privateKey.getEncoded());
    }

    /** Only the first certificate of a stored chain PEM, for showing a link (no key involved). */
    public static X509Certificate firstCertificate(String chainPem) {
        Matcher m = PEM.matcher(chainPem);
        while (m.find()) {
            if ("CERTIFICATE".equals(m.group(1))) {
                return certificate(Base64.getMimeDecoder().decode(m.group(2)));
            }
        }
        throw new IllegalStateException("no certificate in the stored chain");
    }

    @Override
    public String toString() {
        return "ClientCertificate[" + subject() + ", thumbprint=" + thumbprint() + ", notAfter=" + notAfter() + "]";
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    private static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new Unusable("holds a CERTIFICATE block that is not an X.509 certificate");
        }
    }

    private static PrivateKey onlyKey(PrivateKey previous, PrivateKey key) {
        if (previous != null) {
            throw new Unusable("holds more than one private key; send only the certificate's own key");
        }
        return key;
    }

    private static PrivateKey pkcs8(byte[] der) {
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new Unusable("holds a PRIVATE KEY block that is not an RSA or EC PKCS#8 key");
    }

    /** PKCS#1 {@code RSAPrivateKey} wrapped as PKCS#8 {@code PrivateKeyInfo} (version 0, rsaEncryption, NULL). */
    static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = der(0x04, pkcs1);
        byte[] content = new byte[version.length + algorithm.length + octets.length];
        System.arraycopy(version, 0, content, 0, version.length);
        System.arraycopy(algorithm, 0, content, version.length, algorithm.length);
        System.arraycopy(octets, 0, content, version.length + algorithm.length, octets.length);
        return der(0x30, content);
    }

    private static byte[] der(int tag, byte[] content) {
        byte[] length = content.length < 128 ? new byte[] {(byte) content.length} : longLength(content.length);
        byte[] out = new byte[1 + length.length + content.length];
        out[0] = (byte) tag;
        System.arraycopy(length, 0, out, 1, length.length);
        System.arraycopy(content, 0, out, 1 + length.length, content.length);
        return out;
    }

    private static byte[] longLength(int length) {
        byte[] value = BigInteger.valueOf(length).toByteArray();
        int start = value[0] == 0 ? 1 : 0;
        byte[] out = new byte[1 + value.length - start];
        out[0] = (byte) (0x80 | (value.length - start));
        System.arraycopy(value, start, out, 1, value.length - start);
        return out;
    }
}
