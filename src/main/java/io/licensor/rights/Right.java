package io.licensor.rights;

import io.vertx.core.json.JsonArray;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Usage rights a policy grants (SPEC §3). OWNER means all rights. */
public enum Right {
  VIEW, EDIT, PRINT, EXPORT, FORWARD, OWNER;

  public static Optional<Right> parse(String name) {
    return Arrays.stream(values()).filter(r -> r.name().equals(name)).findFirst();
  }

  /** The rights a grant set amounts to: OWNER expands to every right. */
  public static Set<Right> expand(Set<Right> rights) {
    return rights.contains(OWNER) ? EnumSet.allOf(Right.class) : rights;
  }

  /** A non-empty JSON array of right names, strictly; the message names {@code where} and what is wrong. */
  public static Set<Right> parseList(Object value, String where) {
    if (!(value instanceof JsonArray rightsJson) || rightsJson.isEmpty()) {
      throw new IllegalArgumentException(where + " must be a non-empty array");
    }
    Set<Right> rights = EnumSet.noneOf(Right.class);
    for (Object r : rightsJson) {
      if (!(r instanceof String name) || parse(name).isEmpty()) {
        throw new IllegalArgumentException(where + ": unknown right; use VIEW, EDIT, PRINT, EXPORT, FORWARD or OWNER");
      }
      rights.add(parse(name).get());
    }
    return rights;
  }

  /** The names of these rights, in a stable order. */
  public static JsonArray toJson(Set<Right> rights) {
    JsonArray json = new JsonArray();
    new TreeSet<>(rights).forEach(r -> json.add(r.name()));
    return json;
  }
}
