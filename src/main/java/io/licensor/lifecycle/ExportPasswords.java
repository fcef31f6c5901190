package io.licensor.lifecycle;

import java.util.Locale;

/**
 * Whether an export password is strong enough to protect a private key that leaves the HSM: not
 * only long (12 characters or more) but varied. A passphrase of 20 or more characters passes on its
 * length; a shorter password needs three kinds of character (lower case, upper case, digits,
 * others). Either way it needs 8 different characters, no run of one character or of a keyboard
 * or alphabet sequence making up half of it, and it may not be the tenant's id or a common word
 * with digits around it.
 */
final class ExportPasswords {

  private static final String[] SEQUENCES = {"abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm"};
  private static final String[] COMMON = {"password", "passwort", "licensor", "letmein", "welcome", "qwerty", "admin",
      "secret", "changeme", "iloveyou"};

  private ExportPasswords() {
  }

  /** Why the password is weak, or null if it is not. */
  static String weakness(String password, String tenantId) {
    String lower = password.toLowerCase(Locale.ROOT);
    if (password.codePoints().distinct().count() < 8) {
      return "use at least 8 different characters";
    }
    if (password.length() < 20) {
      int kinds = (password.chars().anyMatch(Character::isLowerCase) ? 1 : 0)
          + (password.chars().anyMatch(Character::isUpperCase) ? 1 : 0)
          + (password.chars().anyMatch(Character::isDigit) ? 1 : 0)
          + (password.chars().anyMatch(c -> !Character.isLetterOrDigit(c)) ? 1 : 0);
      if (kinds < 3) {
        return "under 20 characters, mix three of lower case, upper case, digits and other characters";
      }
    }
    String letters = lower.replaceAll("[^a-z]", "");
    for (String word : COMMON) {
      if (letters.equals(word) || letters.equals(word + word)) {
        return "it is a common password with digits or signs around it";
      }
    }
    if (tenantId != null && letters.equals(tenantId.toLowerCase(Locale.ROOT).replaceAll("[^a-z]", ""))) {
      return "it is the tenant's id";
    }
    if (longestPredictableRun(lower) * 2 >= password.length()) {
      return "half of it is one character repeated, or a keyboard or alphabet sequence";
    }
    return null;
  }

  private static int longestPredictableRun(String s) {
    int best = 1;
    int repeat = 1;
    int sequence = 1;
    for (int i = 1; i < s.length(); i++) {
      repeat = s.charAt(i) == s.charAt(i - 1) ? repeat + 1 : 1;
      sequence = follows(s.charAt(i - 1), s.charAt(i)) ? sequence + 1 : 1;
      best = Math.max(best, Math.max(repeat, sequence));
    }
    return best;
  }

  private static boolean follows(char a, char b) {
    for (String seq : SEQUENCES) {
      int i = seq.indexOf(a);
      if (i >= 0 && i + 1 < seq.length() && seq.charAt(i + 1) == b) {
        return true;
      }
    }
    return false;
  }
}
