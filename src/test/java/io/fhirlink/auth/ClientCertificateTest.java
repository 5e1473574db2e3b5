package io.fhirlink.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fhirlink.support.TestCertificates;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;

/** What a link's clientCertificate may be: the forms users have at hand, and the refusals with what to do. */
class ClientCertificateTest {

    private static final KeyPair KEYS = TestCertificates.rsaKeys(2048);
    private static final X509Certificate CERTIFICATE = TestCertificates.clientCertificate(KEYS, "unit", 30);
    private static final Instant NOW = Instant.now();

    @Test
    void read_pemWithPkcs8Key_keepsKeyAndCertificate_andStoresRoundTrip() {
        ClientCertificate read = ClientCertificate.read(TestCertificates.pemWithKey(CERTIFICATE, KEYS.getPrivate()), null, NOW);
        assertThat(read.certificate()).isEqualTo(CERTIFICATE);
        assertThat(read.privateKey().getEncoded()).isEqualTo(KEYS.getPrivate().getEncoded());
        ClientCertificate stored = ClientCertificate.stored(read.chainPem(), read.keyPem());
        assertThat(stored.thumbprint()).isEqualTo(read.thumbprint()).hasSize(40).isUpperCase();
        assertThat(stored.privateKey().getEncoded()).isEqualTo(KEYS.getPrivate().getEncoded());
    }

    @Test
    void read_pemWithPkcs1RsaKey_isAccepted() throws Exception {
        StringWriter pkcs1 = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pkcs1)) {
            writer.writeObject(KEYS); // a key pair is written as -----BEGIN RSA PRIVATE KEY----- (PKCS#1)
        }
        assertThat(pkcs1.toString()).contains("BEGIN RSA PRIVATE KEY");
        ClientCertificate read = ClientCertificate.read(TestCertificates.pem(CERTIFICATE) + pkcs1, null, NOW);
        assertThat(read.privateKey().getEncoded()).isEqualTo(KEYS.getPrivate().getEncoded());
    }

    @Test
    void read_pkcs12_needsItsPassword() {
        String pfx = TestCertificates.pkcs12Base64(CERTIFICATE, KEYS.getPrivate(), "right");
        assertThat(ClientCertificate.read(pfx, "right", NOW).certificate()).isEqualTo(CERTIFICATE);
        assertThatThrownBy(() -> ClientCertificate.read(pfx, "wrong", NOW))
                .isInstanceOf(ClientCertificate.Unusable.class).hasMessageContaining("clientCertificatePassword");
    }

    @Test
    void read_certificateWithoutKey_saysTheKeyIsMissing() {
        assertThatThrownBy(() -> ClientCertificate.read(TestCertificates.pem(CERTIFICATE), null, NOW))
                .hasMessageContaining("holds no private key");
    }

    @Test
    void read_keyOfAnotherPair_isRefused() {
        KeyPair other = TestCertificates.rsaKeys(2048);
        assertThatThrownBy(() -> ClientCertificate.read(TestCertificates.pemWithKey(CERTIFICATE, other.getPrivate()), null, NOW))
                .hasMessageContaining("does not belong to its certificate");
    }

    @Test
    void read_expiredOrNotYetValid_isRefused() {
        assertThatThrownBy(() -> ClientCertificate.read(TestCertificates.pemWithKey(CERTIFICATE, KEYS.getPrivate()), null,
                NOW.plus(Duration.ofDays(31)))).hasMessageContaining("has expired");
        assertThatThrownBy(() -> ClientCertificate.read(TestCertificates.pemWithKey(CERTIFICATE, KEYS.getPrivate()), null,
                NOW.minus(Duration.ofDays(1)))).hasMessageContaining("not valid yet");
    }

    @Test
    void read_weakRsaKey_isRefused() {
        KeyPair weak = TestCertificates.rsaKeys(1024);
        X509Certificate certificate = TestCertificates.clientCertificate(weak, "weak", 30);
        assertThatThrownBy(() -> ClientCertificate.read(TestCertificates.pemWithKey(certificate, weak.getPrivate()), null, NOW))
                .hasMessageContaining("weak key (RSA 1024 bits)");
    }

    @Test
    void read_ecKey_isRefusedBecauseAssertionsAreRs256() {
        KeyPair ec = TestCertificates.ecKeys();
        X509Certificate certificate = TestCertificates.clientCertificate(ec, "ec", 30);
        assertThatThrownBy(() -> ClientCertificate.read(TestCertificates.pemWithKey(certificate, ec.getPrivate()), null, NOW))
                .hasMessageContaining("EC key").hasMessageContaining("RS256");
    }

    @Test
    void toStringAndRefusals_neverHoldTheKey() {
        String keyLine = TestCertificates.pem(KEYS.getPrivate()).split("\n")[2];
        ClientCertificate read = ClientCertificate.read(TestCertificates.pemWithKey(CERTIFICATE, KEYS.getPrivate()), null, NOW);
        assertThat(read.toString()).doesNotContain(keyLine).contains(read.thumbprint());
        assertThatThrownBy(() -> ClientCertificate.read(TestCertificates.pemWithKey(CERTIFICATE, KEYS.getPrivate()), null,
                NOW.plus(Duration.ofDays(31)))).message().doesNotContain(keyLine);
    }
}
