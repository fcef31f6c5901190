package io.licensor.hsm;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The layout of a key token's bytes, shared by every HSM backend so that modules of one world read
 * each other's tokens: format byte, attributes byte (bit 0 extractable, bit 1 KEK), a 32-byte
 * HMAC-SHA256 tag, then AES-KWP of the PKCS#8. The tag covers format, attributes and the wrap,
 * under a key derived from the world key ("licensor-key-token-attributes/1"): the attributes
 * cannot be changed without the world.
 *
 * <p>The format says which key wraps: {@link #FORMAT} (2), the world key itself, for keys that may
 * be exported (service-generated versions); {@link #CUSTODY_FORMAT} (3), the custody key derived
 * from the world key ("licensor-custody-wrap/1"), for keys that never leave the module (BYOK
 * versions and key-exchange keys). A PKCS#11 token holds the two wrapping keys as separate
 * objects and lets what the custody key unwraps be only non-extractable, so no holder of the
 * token's PIN can take a BYOK key out of it. Non-extractable keys of format 2 come from earlier
 * versions and are still read.
 */
final class KeyTokenLayout {

  static final byte FORMAT = 2;
  static final byte CUSTODY_FORMAT = 3;
  static final int TAG_BYTES = 32;
  static final byte EXTRACTABLE = 1;
  static final byte KEK = 2;
  static final String TAG_KEY_LABEL = "licensor-key-token-attributes/1";
  /** The label of the key, derived from the world key, that MACs backup packages. */
  static final String BACKUP_MAC_LABEL = "licensor-backup-mac/1";
  /** The label of the key, derived from the world key, that wraps keys of {@link #CUSTODY_FORMAT}. */
  static final String CUSTODY_KEY_LABEL = "licensor-custody-wrap/1";

  private KeyTokenLayout() {
  }

  /** A token's parts, before its tag is checked. */
  record Parts(byte format, byte attributes, byte[] tag, byte[] wrapped) {
    /** Wrapped under the custody key, not the world key. */
    boolean custody() {
      return format == CUSTODY_FORMAT;
    }

    boolean extractable() {
      return (attributes & EXTRACTABLE) != 0;
    }

    boolean kek() {
      return (attributes & KEK) != 0;
    }
  }

  /** The format of a new token with these attributes: only an extractable key is wrapped under the world key. */
  static byte formatFor(byte attributes) {
    return (attributes & EXTRACTABLE) != 0 && (attributes & KEK) == 0 ? FORMAT : CUSTODY_FORMAT;
  }

  /** What the tag covers: format, attributes, wrap. */
  static byte[] tagInput(byte format, byte attributes, byte[] wrapped) {
    byte[] data = new byte[2 + wrapped.length];
    data[0] = format;
    data[1] = attributes;
    System.arraycopy(wrapped, 0, data, 2, wrapped.length);
    return data;
  }

  static byte[] assemble(byte format, byte attributes, byte[] tag, byte[] wrapped) {
    byte[] token = new byte[2 + TAG_BYTES + wrapped.length];
    token[0] = format;
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
    if (token.length <= 2 + TAG_BYTES || (token[0] != FORMAT && token[0] != CUSTODY_FORMAT)) {
      throw altered();
    }
    if (token[0] == CUSTODY_FORMAT && (token[1] & EXTRACTABLE) != 0) {
      throw altered(); // never made: a key in custody is not extractable
    }
    return new Parts(token[0], token[1], Arrays.copyOfRange(token, 2, 2 + TAG_BYTES), Arrays.copyOfRange(token, 2 + TAG_BYTES, token.length));
  }

  /** HMAC-SHA256: derives keys from the world key (with a label) and computes tags and MACs. */
  static byte[] hmacSha256(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A key derived from the world key for one purpose. */
  static byte[] derive(byte[] worldKey, String label) {
    return hmacSha256(worldKey, label.getBytes(StandardCharsets.US_ASCII));
  }

  static HsmException altered() {
    return new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "key token was altered or is not of this world");
  }
}
