package io.licensor.keys;

import java.util.Arrays;
import java.util.Optional;

/** Where a key version's key pair was made. */
public enum KeyOrigin {
  /** Generated inside the service's HSM. */
  SERVICE("service"),
  /** Generated in the customer's own HSM and transferred wrapped; never exportable. */
  BYOK("byok");

  private final String wireName;

  KeyOrigin(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<KeyOrigin> fromWireName(String name) {
    return Arrays.stream(values()).filter(o -> o.wireName.equals(name)).findFirst();
  }
}
