package io.licensor.client;

import java.util.Locale;

/** The rights a policy grants (SPEC §3); {@link #OWNER} is every right. */
public enum Right {
  VIEW, EDIT, PRINT, EXPORT, FORWARD, OWNER;

  /** The right of this name, in any case; an unknown name is an {@link IllegalArgumentException} naming the rights. */
  public static Right parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown right '" + name.trim() + "' (rights: VIEW, EDIT, PRINT, EXPORT, FORWARD, OWNER)");
    }
  }
}
