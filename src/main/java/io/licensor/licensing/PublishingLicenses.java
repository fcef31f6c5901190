package io.licensor.licensing;

import io.licensor.ids.Kid;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.keys.KeyVersion;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.util.Arrays;

/**
 * Publishing licenses (SPEC §3): a JWE, {@code RSA-OAEP-256} or {@code ECDH-ES+A256KW} with
 * {@code A256GCM}, whose protected header (kid included) is the AEAD's associated data. Sealing
 * needs only the public key; opening needs the HSM for the key-management step.
 */
final class PublishingLicenses {

  static final JOSEObjectType TYPE = new JOSEObjectType("licensor-pl+jwe");
  static final int MAX_LENGTH = 48 * 1024;

  private PublishingLicenses() {
  }

  /**
   * Seals content under a key version's public key (a public-key operation; no HSM), on the node's
   * provider: with an EC version an ephemeral key and an ECDH per publishing license.
   */
  static String seal(KeyVersion version, PublishingLicenseContent content, JweEncryption encryption) throws JOSEException {
    byte[] json = content.toJson().encode().getBytes(StandardCharsets.UTF_8);
    try {
      return encryption.encrypt(json, version.publicJwk(), version.kid(), TYPE.getType());
    } finally {
      Arrays.fill(json, (byte) 0);
    }
  }

  /** Parses the compact form and checks the header; any defect is 400 publishing-license-invalid. */
  static ParsedPublishingLicense parse(String compact) {
    if (compact.length() > MAX_LENGTH) {
      throw invalid("the publishing license is too long");
    }
    for (String part : compact.split("\\.", -1)) {
      if (!Base64Url.canonical(part)) {
        throw invalid("not a JWE compact serialization");
      }
    }
    JWEObject jwe;
    try {
      jwe = JWEObject.parse(compact);
    } catch (ParseException | RuntimeException e) {
      throw invalid("not a JWE compact serialization");
    }
    JWEHeader h = jwe.getHeader();
    if (h.getType() != null && !h.getType().equals(TYPE)) {
      throw invalid("typ must be licensor-pl+jwe");
    }
    if (!EncryptionMethod.A256GCM.equals(h.getEncryptionMethod())) {
      throw invalid("enc must be A256GCM");
    }
    if (!JWEAlgorithm.RSA_OAEP_256.equals(h.getAlgorithm()) && !JWEAlgorithm.ECDH_ES_A256KW.equals(h.getAlgorithm())) {
      throw invalid("alg must be RSA-OAEP-256 or ECDH-ES+A256KW");
    }
    if (h.getCompressionAlgorithm() != null || (h.getCriticalParams() != null && !h.getCriticalParams().isEmpty())) {
      throw invalid("zip and crit are not supported");
    }
    if (h.getKeyID() == null) {
      throw invalid("the header has no kid");
    }
    Kid kid = Kid.parse(h.getKeyID());
    if (kid == null) {
      throw invalid("kid must be tenantId:version");
    }
    if (jwe.getEncryptedKey() == null || jwe.getIV() == null || jwe.getAuthTag() == null) {
      throw invalid("the JWE lacks an encrypted key, IV or tag");
    }
    return new ParsedPublishingLicense(jwe, kid.tenantId(), kid.version());
  }

  /** The ephemeral public key of an ECDH-ES publishing license, checked to lie on the version's curve. */
  static ECPublicKey ephemeralKey(ParsedPublishingLicense pl, KeyVersion version) {
    if (!(pl.jwe().getHeader().getEphemeralPublicKey() instanceof ECKey epk)) {
      throw invalid("ECDH-ES needs an EC epk in the header");
    }
    Curve expected = version.publicJwk().toECKey().getCurve();
    if (!expected.equals(epk.getCurve())) {
      throw invalid("epk is on another curve than the key version");
    }
    try {
      // ECKey parsing rejects points that are not on the named curve (invalid-curve attacks).
      return epk.toECPublicKey();
    } catch (JOSEException e) {
      throw invalid("epk is not a valid public key");
    }
  }

  /** ECDH-ES+A256KW: derives the key-encryption key from Z and unwraps the content-encryption key. */
  static SecretKey cekFromAgreement(ParsedPublishingLicense pl, byte[] sharedSecret) {
    try {
      return EcdhEsKeyWrap.unwrap(pl.jwe().getHeader(), sharedSecret, Base64Url.decode(pl.jwe().getEncryptedKey()));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw undecryptable();
    } finally {
      Arrays.fill(sharedSecret, (byte) 0);
    }
  }

  /** Decrypts and authenticates the payload with the content-encryption key. */
  static PublishingLicenseContent open(ParsedPublishingLicense pl, SecretKey cek) {
    JWEObject jwe = pl.jwe();
    if (cek.getEncoded().length != 32) {
      throw undecryptable();
    }
    byte[] plaintext;
    try {
      // A256GCM with the protected header, as sent, for associated data (RFC 7516 §5.2)
      byte[] iv = Base64Url.decode(jwe.getIV());
      byte[] tag = Base64Url.decode(jwe.getAuthTag());
      byte[] cipherText = Base64Url.decode(jwe.getCipherText());
      if (iv.length != 12 || tag.length != 16) {
        throw undecryptable();
      }
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.DECRYPT_MODE, cek, new GCMParameterSpec(128, iv));
      gcm.updateAAD(ascii(jwe.getHeader().toBase64URL().toString()));
      gcm.update(cipherText);
      plaintext = gcm.doFinal(tag);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw undecryptable();
    }
    try {
      return PublishingLicenseContent.fromJson(plaintext);
    } catch (IllegalArgumentException e) {
      throw invalid("the payload is not a valid publishing license: " + e.getMessage());
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /** One answer for every decryption failure, so the error says nothing about which step failed. */
  static ProblemException undecryptable() {
    return invalid("the publishing license does not decrypt (tampered, or not made for this key)");
  }

  static ProblemException invalid(String detail) {
    return Problem.PUBLISHING_LICENSE_INVALID.with(detail);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
