package io.licensor.hsm;

import java.util.Arrays;
import java.util.Base64;

/**
 * A private key as the HSM exports it: its PKCS#8 encoding wrapped with AES-KWP (RFC 5649) under
 * the security world's key. Useless without the world; safe to store in the database and to keep
 * in caches. Text form: {@code kt1.<worldId>.<base64url>}.
 */
public record KeyToken(String worldId, byte[] wrapped) {

  private static final String PREFIX = "kt1";

  public String encode() {
    return PREFIX + "." + worldId + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(wrapped);
  }

  public static KeyToken parse(String text) {
    String[] parts = text == null ? new String[0] : text.split("\\.");
    if (parts.length != 3 || !parts[0].equals(PREFIX) || parts[1].isEmpty()) {
      throw new IllegalArgumentException("not a key token");
    }
    return new KeyToken(parts[1], Base64.getUrlDecoder().decode(parts[2]));
  }

  /**
   * Whether this token may hold a key of an earlier custody: a non-extractable key wrapped under
   * the world key itself, which {@link Hsm#custody} re-wraps. Reads only the format and attribute
   * bytes; the module checks the tag.
   */
  public boolean beforeCustody() {
    return wrapped.length > 2 && wrapped[0] == KeyTokenLayout.FORMAT && (wrapped[1] & KeyTokenLayout.EXTRACTABLE) == 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyToken other && other.worldId.equals(worldId) && Arrays.equals(other.wrapped, wrapped);
  }

  @Override
  public int hashCode() {
    return worldId.hashCode() * 31 + Arrays.hashCode(wrapped);
  }

  @Override
  public String toString() {
    return "KeyToken[world=" + worldId + "]";
  }
}
