package io.licensor.licensing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import io.licensor.hsm.SoftwareCrypto;
import io.vertx.core.json.JsonObject;
import org.bouncycastle.util.BigIntegers;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;

/**
 * A JWE compact (RFC 7516) to a public key, A256GCM under a fresh content-encryption key:
 * {@code RSA-OAEP-256} for an RSA key, {@code ECDH-ES+A256KW} (RFC 7518 §4.6: an ephemeral key on
 * the key's curve, the Concat KDF, AES Key Wrap) for an EC one. Used for the content key of a use
 * license, encrypted to the recipient's key, and for publishing licenses, sealed under a key
 * version's public key. On the node's {@link SoftwareCrypto} (the native provider where the
 * platform has one): with an EC key this is a key generation and an ECDH per JWE, which the JDK's
 * EC makes cost as much as an RSA signature. Independent JOSE libraries decrypt both in the
 * interop tests.
 */
final class JweEncryption {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final OAEPParameterSpec OAEP_SHA256 =
      new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

  private final SoftwareCrypto crypto;

  JweEncryption(SoftwareCrypto crypto) {
    this.crypto = crypto;
  }

  /** The content key of a use license to the recipient's key (its kid, if any, in the header). */
  String encrypt(byte[] contentKey, JWK recipient) throws JOSEException {
    return encrypt(contentKey, recipient, recipient.getKeyID(), null);
  }

  /**
   * {@code plaintext} to {@code key}, the protected header naming {@code kid} and {@code type}
   * where not null (the header is the AEAD's associated data).
   */
  String encrypt(byte[] plaintext, JWK key, String kid, String type) throws JOSEException {
    JWK recipient = key;
    byte[] cek = new byte[32];
    RANDOM.nextBytes(cek);
    try {
      JsonObject header;
      byte[] encryptedKey;
      if (recipient instanceof RSAKey rsa) {
        header = new JsonObject().put("alg", "RSA-OAEP-256").put("enc", "A256GCM");
        Cipher oaep = crypto.cipher("RSA/ECB/OAEPPadding");
        oaep.init(Cipher.ENCRYPT_MODE, RecipientKeys.rsaPublicKey(rsa), OAEP_SHA256, RANDOM);
        encryptedKey = oaep.doFinal(cek);
      } else if (recipient instanceof ECKey ec) {
        ECPublicKey peer = ec.toECPublicKey();
        KeyPairGenerator generator = crypto.generator("EC");
        generator.initialize(new ECGenParameterSpec(curveName(ec.getCurve())), RANDOM);
        KeyPair ephemeral = generator.generateKeyPair();
        KeyAgreement agreement = crypto.agreement("ECDH");
        agreement.init(ephemeral.getPrivate());
        agreement.doPhase(peer, true);
        byte[] z = agreement.generateSecret();
        byte[] kek = EcdhEsKeyWrap.concatKdf(z, null, null);
        Arrays.fill(z, (byte) 0);
        try {
          Cipher kw = Cipher.getInstance("AESWrap");
          kw.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
          encryptedKey = kw.wrap(new SecretKeySpec(cek, "AES"));
        } finally {
          Arrays.fill(kek, (byte) 0);
        }
        header = new JsonObject().put("alg", "ECDH-ES+A256KW").put("enc", "A256GCM")
            .put("epk", epk((ECPublicKey) ephemeral.getPublic(), ec.getCurve()));
      } else {
        throw new JOSEException("recipientKey must be an RSA or EC key");
      }
      if (kid != null) {
        header.put("kid", kid);
      }
      if (type != null) {
        header.put("typ", type);
      }
      String protectedHeader = Base64Url.encode(header.encode());
      byte[] iv = new byte[12];
      RANDOM.nextBytes(iv);
      Cipher gcm = crypto.cipher("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(cek, "AES"), new GCMParameterSpec(128, iv));
      gcm.updateAAD(PublishingLicenses.ascii(protectedHeader));
      byte[] sealed = gcm.doFinal(plaintext);
      int tagAt = sealed.length - 16;
      return protectedHeader + "." + Base64Url.encode(encryptedKey) + "." + Base64Url.encode(iv) + "."
          + Base64Url.encode(Arrays.copyOfRange(sealed, 0, tagAt)) + "."
          + Base64Url.encode(Arrays.copyOfRange(sealed, tagAt, sealed.length));
    } catch (GeneralSecurityException e) {
      throw new JOSEException("could not encrypt to the key", e);
    } finally {
      Arrays.fill(cek, (byte) 0);
    }
  }

  private static String curveName(Curve curve) {
    if (Curve.P_256.equals(curve)) {
      return "secp256r1";
    }
    if (Curve.P_384.equals(curve)) {
      return "secp384r1";
    }
    if (Curve.P_521.equals(curve)) {
      return "secp521r1";
    }
    throw new IllegalArgumentException("unsupported curve " + curve);
  }

  /** The ephemeral public key as a JWK, its coordinates at the curve's full length (RFC 7518 §6.2.1.2). */
  private static JsonObject epk(ECPublicKey key, Curve curve) {
    int bytes = (key.getParams().getCurve().getField().getFieldSize() + 7) / 8;
    return new JsonObject().put("kty", "EC").put("crv", curve.getName())
        .put("x", Base64Url.encode(BigIntegers.asUnsignedByteArray(bytes, key.getW().getAffineX())))
        .put("y", Base64Url.encode(BigIntegers.asUnsignedByteArray(bytes, key.getW().getAffineY())));
  }

}
