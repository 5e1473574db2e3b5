package io.fhirlink.links;

import io.fhirlink.config.ConfigurationException;
import io.fhirlink.config.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Client secrets at rest: AES-256-GCM with a random 96-bit nonce, the link's display name as associated data
 * (a ciphertext copied onto another row does not decrypt), and the key id stored beside it so keys can rotate.
 * {@code FHIRLINK_SECRET_KEY} holds one base64 key, or several separated by commas, newest first: new writes
 * use the first, reads use whichever the row names. Rotation: put a new key first, restart every replica, run
 * {@code fhir-link reencrypt-secrets} (see {@link io.fhirlink.links.SecretReencryption}), then drop the old key.
 */
public final class SecretCipher {

    public record Sealed(String keyId, String ciphertext) {
    }

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecureRandom random = new SecureRandom();
    private final Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
    private final String currentKeyId;

    public SecretCipher(String base64Keys) {
        for (String encoded : base64Keys.split(",")) {
            byte[] key;
            try {
                key = Base64.getDecoder().decode(encoded.trim());
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException("FHIRLINK_SECRET_KEY must be base64 (of 32 random bytes)");
            }
            if (key.length != 32) {
                throw new ConfigurationException("FHIRLINK_SECRET_KEY must decode to 32 bytes (AES-256), got " + key.length);
            }
            keys.put(keyId(key), new SecretKeySpec(key, "AES"));
        }
        currentKeyId = keys.keySet().iterator().next();
    }

    /** The key from the environment, or in embedded mode the one generated into the data dir on first start. */
    public static SecretCipher fromSettings(Settings settings) {
        if (settings.secretKey().isPresent()) {
            return new SecretCipher(settings.secretKey().get());
        }
        Path file = settings.dataDir().resolve("secret.key");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(settings.dataDir());
                byte[] key = new byte[32];
                new SecureRandom().nextBytes(key);
                Files.writeString(file, Base64.getEncoder().encodeToString(key));
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system: nothing more to tighten
                }
            }
            return new SecretCipher(Files.readString(file).trim());
        } catch (IOException e) {
            throw new ConfigurationException("cannot read or create the secret key in FHIRLINK_DATA_DIR (" + file + "): " + e.getMessage());
        }
    }

    public String currentKeyId() {
        return currentKeyId;
    }

    public Sealed seal(String displayName, String secret) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, keys.get(currentKeyId), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(displayName.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
            System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
            return new Sealed(currentKeyId, Base64.getEncoder().encodeToString(out));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    public String open(String displayName, String keyId, String ciphertext) {
        SecretKeySpec key = keys.get(keyId);
        if (key == null) {
            throw new IllegalStateException("the secret of link '" + displayName + "' was sealed with key " + keyId
                    + ", which FHIRLINK_SECRET_KEY no longer holds");
        }
        byte[] in = Base64.getDecoder().decode(ciphertext);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
            cipher.updateAAD(displayName.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the secret of link '" + displayName + "' does not decrypt with key " + keyId);
        }
    }

    /** Opens a secret sealed with any configured key and seals it again with the current one (key rotation). */
    public Sealed reseal(String displayName, String keyId, String ciphertext) {
        return seal(displayName, open(displayName, keyId, ciphertext));
    }

    private static String keyId(byte[] key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
