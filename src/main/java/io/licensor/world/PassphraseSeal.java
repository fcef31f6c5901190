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
 * A secret sealed under a passphrase: scrypt (N=2^15, r=8, p=1; 32 MiB per derivation) then
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
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    byte[] key = derive(passphrase, salt);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      gcm.updateAAD(aad);
      Base64.Encoder b64 = Base64.getEncoder();
      return new JsonObject()
          .put("kdf", new JsonObject().put("alg", "scrypt").put("N", SCRYPT_N).put("r", SCRYPT_R).put("p", SCRYPT_P)
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
    if (!"scrypt".equals(kdf.getString("alg")) || kdf.getInteger("N", 0) != SCRYPT_N
        || kdf.getInteger("r", 0) != SCRYPT_R || kdf.getInteger("p", 0) != SCRYPT_P) {
      throw new WorldException(what + " uses an unknown key derivation");
    }
    Base64.Decoder b64 = Base64.getDecoder();
    byte[] key = null;
    try {
      key = derive(passphrase, b64.decode(kdf.getString("salt", "")));
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

  private static byte[] derive(char[] passphrase, byte[] salt) {
    byte[] pass = new String(passphrase).getBytes(StandardCharsets.UTF_8);
    try {
      return SCrypt.generate(pass, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, 32);
    } finally {
      Arrays.fill(pass, (byte) 0);
    }
  }
}
