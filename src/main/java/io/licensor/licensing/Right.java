package io.licensor.licensing;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/** Usage rights a policy grants (SPEC §3). OWNER means all rights. */
public enum Right {
  VIEW, EDIT, PRINT, EXPORT, FORWARD, OWNER;

  public static Optional<Right> parse(String name) {
    return Arrays.stream(values()).filter(r -> r.name().equals(name)).findFirst();
  }

  /** The rights a grant set amounts to: OWNER expands to every right. */
  static Set<Right> expand(Set<Right> rights) {
    return rights.contains(OWNER) ? EnumSet.allOf(Right.class) : rights;
  }
}
