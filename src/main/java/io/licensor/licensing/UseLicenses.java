package io.licensor.licensing;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import io.licensor.keys.KeyVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;

/**
 * Use licenses (SPEC §3): a JWS signed by the key version that protected the content, carrying
 * the granted rights, a proof-of-possession binding ({@code cnf.jkt}) and the content key
 * encrypted to the recipient's key. Built in two halves around the HSM's signature.
 */
final class UseLicenses {

  static final JOSEObjectType TYPE = new JOSEObjectType("licensor-ul+jwt");
  private static final SecureRandom RANDOM = new SecureRandom();

  private UseLicenses() {
  }

  /** A use license waiting for its signature. */
  record Unsigned(String signingInput, String kid, Set<Right> rights, long expiresAt) {
    String complete(byte[] signature) {
      return signingInput + "." + Base64Url.encode(signature);
    }
  }

  static Unsigned prepare(KeyVersion version, PublishingLicenseContent content, String subject, Set<Right> rights,
                          JWK recipient, long now, long expiresAt) throws JOSEException {
    JsonArray rightsJson = new JsonArray();
    rights.stream().sorted().forEach(r -> rightsJson.add(r.name()));
    JsonObject claims = new JsonObject()
        .put("iss", "licensor:" + version.tenantId())
        .put("sub", subject)
        .put("contentId", content.contentId())
        .put("rights", rightsJson)
        .put("iat", now)
        .put("nbf", now)
        .put("exp", expiresAt)
        .put("jti", UUID.randomUUID().toString())
        .put("cnf", new JsonObject().put("jkt", recipient.computeThumbprint().toString()))
        .put("contentKey", encryptContentKey(content.contentKey(), recipient));
    JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.parse(version.algorithm().jwsAlgorithm()))
        .keyID(version.kid())
        .type(TYPE)
        .build();
    String signingInput = Base64Url.encode(header.toString()) + "." + Base64Url.encode(claims.encode());
    return new Unsigned(signingInput, version.kid(), rights, expiresAt);
  }

  private static String encryptContentKey(byte[] contentKey, JWK recipient) throws JOSEException {
    if (recipient instanceof RSAKey rsa) {
      return encryptToRsa(contentKey, rsa);
    }
    JWEHeader.Builder header = new JWEHeader.Builder(JWEAlgorithm.ECDH_ES_A256KW, EncryptionMethod.A256GCM);
    if (recipient.getKeyID() != null) {
      header.keyID(recipient.getKeyID());
    }
    JWEObject jwe = new JWEObject(header.build(), new Payload(contentKey));
    jwe.encrypt(new ECDHEncrypter(recipient.toECKey()));
    return jwe.serialize();
  }

  /**
   * JWE compact, RSA-OAEP-256 + A256GCM (RFC 7516, RFC 7518 §4.3 and §5.3), with the JDK's
   * providers directly: a fresh 256-bit CEK wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256), the
   * content key encrypted under it with a fresh 96-bit IV and the protected header as associated
   * data. The same construction Nimbus makes, without its constant-time Base64 codec on public
   * data (see {@link Base64Url}); independent JOSE libraries decrypt it in the interop tests.
   */
  private static String encryptToRsa(byte[] contentKey, RSAKey recipient) throws JOSEException {
    JsonObject header = new JsonObject().put("alg", "RSA-OAEP-256").put("enc", "A256GCM");
    if (recipient.getKeyID() != null) {
      header.put("kid", recipient.getKeyID());
    }
    String protectedHeader = Base64Url.encode(header.encode());
    byte[] cek = new byte[32];
    byte[] iv = new byte[12];
    RANDOM.nextBytes(cek);
    RANDOM.nextBytes(iv);
    try {
      Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
      oaep.init(Cipher.ENCRYPT_MODE, RecipientKeys.rsaPublicKey(recipient), new OAEPParameterSpec("SHA-256", "MGF1",
          MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
      byte[] encryptedKey = oaep.doFinal(cek);
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(cek, "AES"), new GCMParameterSpec(128, iv));
      gcm.updateAAD(PublishingLicenses.ascii(protectedHeader));
      byte[] sealed = gcm.doFinal(contentKey);
      int tagAt = sealed.length - 16;
      return protectedHeader + "." + Base64Url.encode(encryptedKey) + "." + Base64Url.encode(iv) + "."
          + Base64Url.encode(Arrays.copyOfRange(sealed, 0, tagAt)) + "."
          + Base64Url.encode(Arrays.copyOfRange(sealed, tagAt, sealed.length));
    } catch (GeneralSecurityException e) {
      throw new JOSEException("could not encrypt the content key to the recipient", e);
    } finally {
      Arrays.fill(cek, (byte) 0);
    }
  }
}
