package io.licensor.rights;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Rights for a principal: an exact user (ASCII letters case-insensitive, {@link #canonical}),
 * {@code *@domain} (a user with exactly one {@code @}, something before it and that domain after
 * it), {@code *} (anyone of the tenant), or {@code group:NAME} (matched against the token's groups).
 */
public record Grant(String principal, Set<Right> rights) {

  public Grant {
    rights = Set.copyOf(rights);
  }

  public boolean matches(String user, Set<String> groups) {
    if (principal.equals("*")) {
      return true;
    }
    if (principal.startsWith("group:")) {
      return groups.contains(principal.substring("group:".length()));
    }
    String u = canonical(user);
    if (u == null) {
      return false; // not in NFKC form (a KELVIN SIGN for a k, a fullwidth letter): it names nobody a grant names
    }
    if (principal.startsWith("*@")) {
      int at = u.indexOf('@');
      return at > 0 && at == u.lastIndexOf('@') && u.substring(at + 1).equals(canonical(principal.substring(2)));
    }
    return u.equals(canonical(principal));
  }

  /**
   * How user names compare: only a name already in Unicode NFKC form has one (else null), and it is
   * that name with its ASCII letters lower-cased; no other character is case-folded. So a subject
   * with U+212A KELVIN SIGN never matches a grant for the same name with {@code k}, and a
   * locale's folding (the Turkish dotted I) changes nothing.
   */
  public static String canonical(String name) {
    if (!Normalizer.isNormalized(name, Normalizer.Form.NFKC)) {
      return null;
    }
    StringBuilder out = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
    }
    return out.toString();
  }

  public static boolean isValidPrincipal(String p) {
    if (p == null || p.isEmpty() || p.length() > 320 || p.chars().anyMatch(Character::isWhitespace)
        || canonical(p) == null) {
      return false;
    }
    if (p.equals("*")) {
      return true;
    }
    if (p.startsWith("group:")) {
      return p.length() > "group:".length();
    }
    if (p.startsWith("*@")) {
      return p.length() > 2 && !p.substring(2).contains("@") && !p.substring(2).contains("*");
    }
    return !p.contains("*");
  }

  /** At most this many grants in one policy or template. */
  public static final int MAX_GRANTS = 1000;

  /**
   * Parses a list of grants ({@code [{"principal": ..., "rights": [...]}]}) strictly; {@code where}
   * names it in the message of the {@link IllegalArgumentException} that says what is wrong.
   */
  public static List<Grant> parseList(Object value, String where, boolean mayBeEmpty) {
    if (!(value instanceof JsonArray grantsJson) || (grantsJson.isEmpty() && !mayBeEmpty)) {
      throw new IllegalArgumentException(where + (mayBeEmpty ? " must be an array" : " must be a non-empty array"));
    }
    if (grantsJson.size() > MAX_GRANTS) {
      throw new IllegalArgumentException(where + " may hold at most " + MAX_GRANTS + " grants");
    }
    List<Grant> grants = new ArrayList<>();
    for (int i = 0; i < grantsJson.size(); i++) {
      String at = where + "[" + i + "]";
      if (!(grantsJson.getValue(i) instanceof JsonObject g)) {
        throw new IllegalArgumentException(at + " must be an object");
      }
      Object principal = g.getValue("principal");
      if (!(principal instanceof String p) || !isValidPrincipal(p)) {
        throw new IllegalArgumentException(at + ".principal must be a user, *@domain, * or group:NAME");
      }
      grants.add(new Grant(p, Right.parseList(g.getValue("rights"), at + ".rights")));
    }
    return grants;
  }

  /** The JSON of a list of grants, rights in a stable order. */
  public static JsonArray toJson(List<Grant> grants) {
    JsonArray grantsJson = new JsonArray();
    for (Grant g : grants) {
      grantsJson.add(new JsonObject().put("principal", g.principal()).put("rights", Right.toJson(g.rights())));
    }
    return grantsJson;
  }

  /** Every right any grant of the list that matches this user gives (OWNER expanded to all rights). */
  public static Set<Right> rightsFor(List<Grant> grants, String user, Set<String> groups) {
    Set<Right> rights = EnumSet.noneOf(Right.class);
    for (Grant g : grants) {
      if (g.matches(user, groups)) {
        rights.addAll(g.rights());
      }
    }
    return Right.expand(rights);
  }
}
