package io.licensor.licensing;

import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.util.Base64URL;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The key-management step of {@code ECDH-ES+A256KW} on the receiving side (RFC 7518 §4.6): the
 * key-encryption key from the shared secret Z by the Concat KDF (NIST SP 800-56A §5.8.1, one
 * SHA-256 round for 256 bits), and the content-encryption key unwrapped with it by AES Key Wrap
 * (RFC 3394, the JDK's {@code AESWrap}). licensor's own small code, not the JOSE library's
 * internals, which may change in any release.
 */
final class EcdhEsKeyWrap {

  private static final String ALGORITHM = "ECDH-ES+A256KW";
  private static final int KEY_BITS = 256;

  private EcdhEsKeyWrap() {
  }

  /** The content-encryption key; fails for a wrong key (the wrap's integrity check) or a malformed one. */
  static SecretKey unwrap(JWEHeader header, byte[] z, byte[] encryptedKey) throws GeneralSecurityException {
    byte[] kek = concatKdf(z, header.getAgreementPartyUInfo(), header.getAgreementPartyVInfo());
    try {
      Cipher kw = Cipher.getInstance("AESWrap");
      kw.init(Cipher.UNWRAP_MODE, new SecretKeySpec(kek, "AES"));
      return (SecretKey) kw.unwrap(encryptedKey, "AES", Cipher.SECRET_KEY);
    } finally {
      Arrays.fill(kek, (byte) 0);
    }
  }

  /** SHA-256(counter 1 || Z || AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo), RFC 7518 §4.6.2. */
  static byte[] concatKdf(byte[] z, Base64URL apu, Base64URL apv) throws GeneralSecurityException {
    ByteArrayOutputStream otherInfo = new ByteArrayOutputStream();
    lengthPrefixed(otherInfo, ALGORITHM.getBytes(StandardCharsets.US_ASCII));
    lengthPrefixed(otherInfo, apu == null ? new byte[0] : apu.decode());
    lengthPrefixed(otherInfo, apv == null ? new byte[0] : apv.decode());
    otherInfo.writeBytes(ByteBuffer.allocate(4).putInt(KEY_BITS).array());
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    sha256.update(ByteBuffer.allocate(4).putInt(1).array());
    sha256.update(z);
    sha256.update(otherInfo.toByteArray());
    return sha256.digest();
  }

  private static void lengthPrefixed(ByteArrayOutputStream out, byte[] value) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(value.length).array());
    out.writeBytes(value);
  }
}
