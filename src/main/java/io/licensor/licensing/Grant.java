package io.licensor.licensing;

import java.text.Normalizer;
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

  boolean matches(String user, Set<String> groups) {
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
  static String canonical(String name) {
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

  static boolean isValidPrincipal(String p) {
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
}
