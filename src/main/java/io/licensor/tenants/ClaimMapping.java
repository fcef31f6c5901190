package io.licensor.tenants;

import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which claims of a tenant's tokens say who the user is, which groups they are in and whether they
 * are a tenant admin: identity providers name these differently (Entra ID: {@code upn}, {@code
 * groups} of object ids, app {@code roles}; Okta: {@code email}, {@code groups}; Keycloak: {@code
 * preferred_username}, {@code realm_access.roles}). A claim name is looked up as written first; if
 * the token has no claim of that name and the name has dots, it is followed as a path into nested
 * objects ({@code realm_access.roles}), so namespaced names such as {@code https://example.com/groups}
 * still work.
 *
 * @param principal the claim whose string value is the user's name in grants, publisher and audit
 * @param groups    the claim holding the user's groups (array, or a space- or comma-separated string)
 * @param admin     the claim and value that make a user a tenant admin
 * @param superUsers the group whose members are the tenant's super users (OWNER of all its content,
 *                   for e-discovery and recovery; every such license audited as such), or null: none
 *                   (the default)
 */
public record ClaimMapping(String principal, String groups, AdminClaim admin, String superUsers) {

  public ClaimMapping(String principal, String groups, AdminClaim admin) {
    this(principal, groups, admin, null);
  }

  /** A user is a tenant admin when {@code claim} holds {@code value} (or is an array that contains it). */
  public record AdminClaim(String claim, String value) {
    JsonObject toJson() {
      return new JsonObject().put("claim", claim).put("value", value);
    }
  }

  /** Today's and the default mapping: {@code sub}, {@code groups}, and {@code roles} containing {@code tenant-admin}. */
  public static final ClaimMapping DEFAULT = new ClaimMapping("sub", "groups", new AdminClaim("roles", "tenant-admin"));

  public boolean isDefault() {
    return equals(DEFAULT);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("principal", principal).put("groups", groups).put("admin", admin.toJson());
    return superUsers == null ? json : json.put("superUsers", superUsers);
  }

  /** Whether a user with these groups is one of the tenant's super users. */
  public boolean isSuperUser(Set<String> userGroups) {
    return superUsers != null && userGroups.contains(superUsers);
  }

  /** The user's name in the token's claims, or null if the token has none (or not a non-empty string). */
  public String principalOf(Map<String, Object> claims) {
    return valueOf(claims, principal) instanceof String s && !s.isBlank() ? s : null;
  }

  public Set<String> groupsOf(Map<String, Object> claims) {
    return strings(valueOf(claims, groups));
  }

  public boolean isAdmin(Map<String, Object> claims) {
    return strings(valueOf(claims, admin.claim())).contains(admin.value());
  }

  /** The claim's value: by its name as written, or else by its dotted path into nested objects. */
  public static Object valueOf(Map<String, Object> claims, String name) {
    Object value = claims.get(name);
    if (value != null || name.indexOf('.') < 0) {
      return value;
    }
    Object at = claims;
    for (String part : name.split("\\.")) {
      if (!(at instanceof Map<?, ?> map)) {
        return null;
      }
      at = map.get(part);
    }
    return at;
  }

  /** An array's strings, or a string's space- or comma-separated parts. */
  public static Set<String> strings(Object value) {
    Set<String> out = new LinkedHashSet<>();
    if (value instanceof String s) {
      for (String part : s.split("[\\s,]+")) {
        if (!part.isEmpty()) {
          out.add(part);
        }
      }
    } else if (value instanceof Collection<?> c) {
      c.stream().filter(String.class::isInstance).map(String.class::cast).forEach(out::add);
    }
    return Set.copyOf(out);
  }

  /** From {@code identity.claims}; absent fields take the default's; 400 invalid-request if malformed. */
  public static ClaimMapping fromJson(Object value) {
    if (value == null) {
      return DEFAULT;
    }
    if (!(value instanceof JsonObject json)) {
      throw invalid("identity.claims must be an object {principal, groups, admin: {claim, value}}");
    }
    for (String field : json.fieldNames()) {
      if (!Set.of("principal", "groups", "admin", "superUsers").contains(field)) {
        throw invalid("identity.claims has an unknown field '" + field.replaceAll("[^A-Za-z0-9_.-]", "?")
            + "' (principal, groups, admin, superUsers)");
      }
    }
    String principal = name(json.getValue("principal"), "identity.claims.principal", DEFAULT.principal());
    String groups = name(json.getValue("groups"), "identity.claims.groups", DEFAULT.groups());
    AdminClaim admin = DEFAULT.admin();
    Object adminValue = json.getValue("admin");
    if (adminValue != null) {
      if (!(adminValue instanceof JsonObject a)) {
        throw invalid("identity.claims.admin must be an object {claim, value}");
      }
      admin = new AdminClaim(name(a.getValue("claim"), "identity.claims.admin.claim", null),
          name(a.getValue("value"), "identity.claims.admin.value", null));
    }
    String superUsers = json.getValue("superUsers") == null ? null
        : name(json.getValue("superUsers"), "identity.claims.superUsers (a group name)", null);
    return new ClaimMapping(principal, groups, admin, superUsers);
  }

  private static String name(Object value, String field, String otherwise) {
    if (value == null && otherwise != null) {
      return otherwise;
    }
    if (!(value instanceof String s) || s.isBlank() || s.length() > 200 || s.chars().anyMatch(Character::isISOControl)) {
      throw invalid(field + " must be a claim name (1 to 200 characters, no control characters)");
    }
    return s;
  }

  private static ProblemException invalid(String detail) {
    return Problem.INVALID_REQUEST.with(detail);
  }
}
