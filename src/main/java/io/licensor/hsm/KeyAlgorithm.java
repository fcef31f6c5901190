package io.licensor.hsm;

import java.util.Arrays;
import java.util.Optional;

/** The asymmetric key types a tenant key version can have (SPEC §2), with their JOSE algorithms. */
public enum KeyAlgorithm {
  RSA_2048("RSA-2048", "RSA", 2048, null),
  RSA_3072("RSA-3072", "RSA", 3072, null),
  RSA_4096("RSA-4096", "RSA", 4096, null),
  EC_P256("EC-P256", "EC", 256, "secp256r1"),
  EC_P384("EC-P384", "EC", 384, "secp384r1");

  private final String wireName;
  private final String family;
  private final int bits;
  private final String curve;

  KeyAlgorithm(String wireName, String family, int bits, String curve) {
    this.wireName = wireName;
    this.family = family;
    this.bits = bits;
    this.curve = curve;
  }

  /** The name used on the wire and in the database: {@code RSA-2048}, {@code EC-P256}... */
  public String wireName() {
    return wireName;
  }

  public boolean isRsa() {
    return family.equals("RSA");
  }

  public int bits() {
    return bits;
  }

  /** The JCA curve name for EC keys, null for RSA. */
  public String curve() {
    return curve;
  }

  /** The JWE key-management algorithm of publishing licenses protected with this key. */
  public String jweAlgorithm() {
    return isRsa() ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
  }

  /** The JWS algorithm of use licenses signed with this key. */
  public String jwsAlgorithm() {
    return switch (this) {
      case EC_P256 -> "ES256";
      case EC_P384 -> "ES384";
      default -> "PS256";
    };
  }

  public static Optional<KeyAlgorithm> fromWireName(String name) {
    return Arrays.stream(values()).filter(a -> a.wireName.equals(name)).findFirst();
  }
}
