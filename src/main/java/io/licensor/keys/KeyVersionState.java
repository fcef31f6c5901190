package io.licensor.keys;

import java.util.Arrays;

/** The states of a tenant key version (SPEC §2). */
public enum KeyVersionState {
  /** Protects new content; exactly one per active tenant. */
  ACTIVE("active"),
  /** A former active version: never used for new content, still licenses content it protected. */
  RETAINED("retained"),
  /** Key material gone for good; its content can never be licensed again. */
  DESTROYED("destroyed");

  private final String wireName;

  KeyVersionState(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static KeyVersionState fromWireName(String name) {
    return Arrays.stream(values()).filter(s -> s.wireName.equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown key version state " + name));
  }
}
