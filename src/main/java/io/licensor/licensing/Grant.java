package io.licensor.licensing;

import java.util.Locale;
import java.util.Set;

/**
 * Rights for a principal: an exact user (case-insensitive), {@code *@domain}, {@code *} (anyone of
 * the tenant), or {@code group:NAME} (matched against the token's groups).
 */
public record Grant(String principal, Set<Right> rights) {

  public Grant {
    rights = Set.copyOf(rights);
  }

  boolean matches(String user, Set<String> groups) {
    if (principal.equals("*")) {
      return true;
    }
    if (principal.startsWith("group:")) {
      return groups.contains(principal.substring("group:".length()));
    }
    String u = user.toLowerCase(Locale.ROOT);
    if (principal.startsWith("*@")) {
      return u.endsWith(principal.substring(1).toLowerCase(Locale.ROOT));
    }
    return u.equals(principal.toLowerCase(Locale.ROOT));
  }

  static boolean isValidPrincipal(String p) {
    if (p == null || p.isEmpty() || p.length() > 320 || p.chars().anyMatch(Character::isWhitespace)) {
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
}
