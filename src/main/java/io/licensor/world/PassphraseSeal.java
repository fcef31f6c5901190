package io.licensor.world;

import io.vertx.core.json.JsonObject;
import org.bouncycastle.crypto.generators.SCrypt;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * A secret sealed under a passphrase: scrypt (N=2^15, r=8, p=1; 32 MiB per derivation; the
 * parameters are stored with the secret and read back from it, within bounds) then
 * AES-256-GCM with caller-chosen associated data. Used for admin cards and the module key file.
 */
final class PassphraseSeal {

  static final int SCRYPT_N = 1 << 15;
  static final int SCRYPT_R = 8;
  static final int SCRYPT_P = 1;
  private static final SecureRandom RANDOM = new SecureRandom();

  private PassphraseSeal() {
  }

  /** {@code {kdf:{alg,N,r,p,salt}, cipher, nonce, ciphertext}}. */
  static JsonObject seal(byte[] secret, char[] passphrase, byte[] aad) {
    return seal(secret, passphrase, aad, SCRYPT_N, SCRYPT_R, SCRYPT_P);
  }

  /** As {@link #seal(byte[], char[], byte[])} with other scrypt parameters (raised later, or an older file's). */
  static JsonObject seal(byte[] secret, char[] passphrase, byte[] aad, int n, int r, int p) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    byte[] key = derive(passphrase, salt, n, r, p);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      gcm.updateAAD(aad);
      Base64.Encoder b64 = Base64.getEncoder();
      return new JsonObject()
          .put("kdf", new JsonObject().put("alg", "scrypt").put("N", n).put("r", r).put("p", p)
              .put("salt", b64.encodeToString(salt)))
          .put("cipher", "AES-256-GCM")
          .put("nonce", b64.encodeToString(nonce))
          .put("ciphertext", b64.encodeToString(gcm.doFinal(secret)));
    } catch (GeneralSecurityException e) {
      throw new WorldException("sealing failed");
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Opens a sealed secret; {@code what} names it in the error ("card 2", "the module key"). */
  static byte[] open(JsonObject sealed, char[] passphrase, byte[] aad, String what) {
    JsonObject kdf = sealed.getJsonObject("kdf", new JsonObject());
    int n = kdf.getInteger("N", 0);
    int r = kdf.getInteger("r", 0);
    int p = kdf.getInteger("p", 0);
    // the file's own parameters, so they can be raised for new cards without making old ones unreadable;
    // bounded, so a forged file cannot ask for gigabytes or hours
    if (!"scrypt".equals(kdf.getString("alg")) || n < (1 << 14) || n > (1 << 22) || Integer.bitCount(n) != 1
        || r < 1 || r > 32 || p < 1 || p > 16 || 128L * n * r > (1L << 30)) {
      throw new WorldException(what + " uses an unknown key derivation, or parameters out of bounds");
    }
    Base64.Decoder b64 = Base64.getDecoder();
    byte[] key = null;
    try {
      key = derive(passphrase, b64.decode(kdf.getString("salt", "")), n, r, p);
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, b64.decode(sealed.getString("nonce", ""))));
      gcm.updateAAD(aad);
      return gcm.doFinal(b64.decode(sealed.getString("ciphertext", "")));
    } catch (AEADBadTagException e) {
      throw new WorldException(what + ": wrong passphrase, or it was altered");
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new WorldException(what + " cannot be opened");
    } finally {
      if (key != null) {
        Arrays.fill(key, (byte) 0);
      }
    }
  }

  private static byte[] derive(char[] passphrase, byte[] salt, int n, int r, int p) {
    byte[] pass = new String(passphrase).getBytes(StandardCharsets.UTF_8);
    try {
      return SCrypt.generate(pass, salt, n, r, p, 32);
    } finally {
      Arrays.fill(pass, (byte) 0);
    }
  }
}
