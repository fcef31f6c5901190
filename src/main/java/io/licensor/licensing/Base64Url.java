package io.licensor.licensing;

import com.nimbusds.jose.util.Base64URL;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Base64url (RFC 4648 §5, no padding) through the JDK's codec, for public data on the licensing
 * path: ciphertext, IVs, tags, signatures, public keys and JOSE headers and claims.
 *
 * <p>Nimbus's own codec is constant-time, which is right for secrets (private JWKs, symmetric keys
 * in JSON) and took about 45% of a core's time when licensing, profiled (load-tests/profile.sh).
 * None of what passes through here is secret: an observer of timing learns nothing the bytes on the
 * wire have not already told them. Content keys never go through this class in the clear.
 */
final class Base64Url {

  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private Base64Url() {
  }

  /** Decodes; IllegalArgumentException when the text is not base64url. */
  static byte[] decode(String text) {
    return DECODER.decode(text);
  }

  static byte[] decode(Base64URL part) {
    return DECODER.decode(part.toString());
  }

  /**
   * Whether {@code text} is the one base64url encoding of what it decodes to: unpadded, and with the
   * unused low bits of its last character zero. A lenient decoder maps up to 16 texts to the same
   * bytes; accepting only the canonical one means a changed character is always a changed license.
   */
  static boolean canonical(String text) {
    try {
      return encode(decode(text)).equals(text);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  static String encode(byte[] bytes) {
    return ENCODER.encodeToString(bytes);
  }

  static String encode(String utf8) {
    return encode(utf8.getBytes(StandardCharsets.UTF_8));
  }
}
