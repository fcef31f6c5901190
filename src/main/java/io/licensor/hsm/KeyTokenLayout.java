package io.licensor.hsm;

import java.util.Arrays;

/**
 * The layout of a key token's bytes, shared by every HSM backend so that modules of one world read
 * each other's tokens: format byte (2), attributes byte (bit 0 extractable, bit 1 KEK), a 32-byte
 * HMAC-SHA256 tag, then AES-KWP(world key, PKCS#8). The tag covers format, attributes and the
 * wrap, under a key derived from the world key ("licensor-key-token-attributes/1"): the
 * attributes cannot be changed without the world.
 */
final class KeyTokenLayout {

  static final byte FORMAT = 2;
  static final int TAG_BYTES = 32;
  static final byte EXTRACTABLE = 1;
  static final byte KEK = 2;
  static final String TAG_KEY_LABEL = "licensor-key-token-attributes/1";
  /** The label of the key, derived from the world key, that MACs backup packages. */
  static final String BACKUP_MAC_LABEL = "licensor-backup-mac/1";

  private KeyTokenLayout() {
  }

  /** A token's parts, before its tag is checked. */
  record Parts(byte attributes, byte[] tag, byte[] wrapped) {
    boolean extractable() {
      return (attributes & EXTRACTABLE) != 0;
    }

    boolean kek() {
      return (attributes & KEK) != 0;
    }
  }

  /** What the tag covers: format, attributes, wrap. */
  static byte[] tagInput(byte attributes, byte[] wrapped) {
    byte[] data = new byte[2 + wrapped.length];
    data[0] = FORMAT;
    data[1] = attributes;
    System.arraycopy(wrapped, 0, data, 2, wrapped.length);
    return data;
  }

  static byte[] assemble(byte attributes, byte[] tag, byte[] wrapped) {
    byte[] token = new byte[2 + TAG_BYTES + wrapped.length];
    token[0] = FORMAT;
    token[1] = attributes;
    System.arraycopy(tag, 0, token, 2, TAG_BYTES);
    System.arraycopy(wrapped, 0, token, 2 + TAG_BYTES, wrapped.length);
    return token;
  }

  /** Splits a token of this world; the caller checks the tag. */
  static Parts parse(KeyRef ref, String worldId) {
    if (!ref.token().worldId().equals(worldId)) {
      throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key token belongs to another security world");
    }
    byte[] token = ref.token().wrapped();
    if (token.length <= 2 + TAG_BYTES || token[0] != FORMAT) {
      throw altered();
    }
    return new Parts(token[1], Arrays.copyOfRange(token, 2, 2 + TAG_BYTES), Arrays.copyOfRange(token, 2 + TAG_BYTES, token.length));
  }

  /** HMAC-SHA256: derives keys from the world key (with a label) and computes tags and MACs. */
  static byte[] hmacSha256(byte[] key, byte[] data) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A key derived from the world key for one purpose. */
  static byte[] derive(byte[] worldKey, String label) {
    return hmacSha256(worldKey, label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  static HsmException altered() {
    return new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key token was altered or is not of this world");
  }
}
