package io.licensor.licensing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The policy a publisher attaches to content: who gets which rights, until when, and how long a
 * use license may live. Parsed strictly: an invalid policy is rejected, never half-applied.
 */
public record Policy(List<Grant> grants, Long notAfter, Long licenseTtlSeconds) {

  static final int MAX_GRANTS = 1000;

  public Policy {
    grants = List.copyOf(grants);
  }

  /** Parses and checks a policy; the exception message says what is wrong. */
  public static Policy fromJson(Object value) {
    if (!(value instanceof JsonObject json)) {
      throw new IllegalArgumentException("policy must be an object");
    }
    if (!(json.getValue("grants") instanceof JsonArray grantsJson) || grantsJson.isEmpty()) {
      throw new IllegalArgumentException("policy.grants must be a non-empty array");
    }
    if (grantsJson.size() > MAX_GRANTS) {
      throw new IllegalArgumentException("policy.grants may hold at most " + MAX_GRANTS + " grants");
    }
    List<Grant> grants = new ArrayList<>();
    for (int i = 0; i < grantsJson.size(); i++) {
      String where = "policy.grants[" + i + "]";
      if (!(grantsJson.getValue(i) instanceof JsonObject g)) {
        throw new IllegalArgumentException(where + " must be an object");
      }
      Object principal = g.getValue("principal");
      if (!(principal instanceof String p) || !Grant.isValidPrincipal(p)) {
        throw new IllegalArgumentException(where + ".principal must be a user, *@domain, * or group:NAME");
      }
      if (!(g.getValue("rights") instanceof JsonArray rightsJson) || rightsJson.isEmpty()) {
        throw new IllegalArgumentException(where + ".rights must be a non-empty array");
      }
      Set<Right> rights = EnumSet.noneOf(Right.class);
      for (Object r : rightsJson) {
        if (!(r instanceof String name) || Right.parse(name).isEmpty()) {
          throw new IllegalArgumentException(where + ".rights: unknown right; use VIEW, EDIT, PRINT, EXPORT, FORWARD or OWNER");
        }
        rights.add(Right.parse(name).get());
      }
      grants.add(new Grant(p, rights));
    }
    Long notAfter = positiveLong(json, "notAfter");
    Long ttl = positiveLong(json, "licenseTtlSeconds");
    return new Policy(grants, notAfter, ttl);
  }

  private static Long positiveLong(JsonObject json, String name) {
    Object v = json.getValue(name);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() <= 0) {
      throw new IllegalArgumentException("policy." + name + " must be a positive integer");
    }
    return n.longValue();
  }

  /** Every right any matching grant gives this user; OWNER expands to all rights. */
  public Set<Right> rightsFor(String user, Set<String> groups) {
    Set<Right> rights = EnumSet.noneOf(Right.class);
    for (Grant g : grants) {
      if (g.matches(user, groups)) {
        rights.addAll(g.rights());
      }
    }
    return Right.expand(rights);
  }

  public JsonObject toJson() {
    JsonArray grantsJson = new JsonArray();
    for (Grant g : grants) {
      JsonArray rights = new JsonArray();
      new TreeSet<>(g.rights()).forEach(r -> rights.add(r.name()));
      grantsJson.add(new JsonObject().put("principal", g.principal()).put("rights", rights));
    }
    JsonObject json = new JsonObject().put("grants", grantsJson);
    if (notAfter != null) {
      json.put("notAfter", notAfter);
    }
    if (licenseTtlSeconds != null) {
      json.put("licenseTtlSeconds", licenseTtlSeconds);
    }
    return json;
  }
}
