package io.licensor.http;

import io.licensor.errors.Problem;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code If-Match} on a tenant (RFC 9110 §13.1.1): the revisions it names, compared strongly (a
 * weak tag never matches), or null for {@code *}. A change without it is refused 428, so two
 * administrators cannot overwrite each other's change unseen.
 */
final class Preconditions {

  private static final Pattern TAG = Pattern.compile("\\s*(W/)?\"([\\x21\\x23-\\x7e]*)\"\\s*(,|$)");
  private static final Pattern REVISION = Pattern.compile("r([0-9]{1,18})");

  private Preconditions() {
  }

  /** The revisions an {@code If-Match} header names; 428 without one, 400 if it is not entity tags. */
  static Set<Long> revisions(String ifMatch, String what) {
    if (ifMatch == null || ifMatch.isBlank()) {
      throw Problem.PRECONDITION_REQUIRED.with("send If-Match with the ETag of the " + what
          + " as you last read it (GET answers it), or If-Match: * to change it whatever it is now");
    }
    if (ifMatch.trim().equals("*")) {
      return null;
    }
    Set<Long> revisions = new HashSet<>();
    Matcher m = TAG.matcher(ifMatch);
    int at = 0;
    while (at < ifMatch.length()) {
      if (!m.find(at) || m.start() != at) {
        throw Problem.INVALID_REQUEST.with("If-Match must be * or entity tags such as \"r12\"");
      }
      Matcher revision = REVISION.matcher(m.group(2));
      if (m.group(1) == null && revision.matches()) {
        revisions.add(Long.parseLong(revision.group(1)));
      }
      at = m.end();
    }
    return Set.copyOf(revisions);
  }
}
