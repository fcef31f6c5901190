package io.licensor.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Set;

/**
 * Times as people and scripts read them: the API gives a few instants as epoch seconds
 * ({@code expiresAt} of a use license or a key-exchange key, a policy's {@code notAfter}, an
 * incident window's ends); the command line shows every one as ISO-8601 ({@code 2026-12-07T14:00:00Z}).
 * Instants the API already gives as ISO-8601 strings pass as they are.
 */
public final class CliTimes {

  /** Members that hold an instant (epoch seconds when a number). */
  static final Set<String> INSTANTS = Set.of("expiresAt", "notAfter", "notBefore", "issuedAt", "exp", "iat", "nbf");

  private CliTimes() {
  }

  /** An instant as ISO-8601. */
  public static String iso(long epochSeconds) {
    return Instant.ofEpochSecond(epochSeconds).toString();
  }

  /** A copy of {@code json} with every instant member that is a number turned into ISO-8601, at any depth. */
  public static JsonObject iso(JsonObject json) {
    JsonObject copy = json.copy();
    convert(copy);
    return copy;
  }

  private static void convert(Object node) {
    if (node instanceof JsonObject o) {
      for (String key : Set.copyOf(o.fieldNames())) {
        Object v = o.getValue(key);
        if (INSTANTS.contains(key) && v instanceof Number n) {
          o.put(key, iso(n.longValue()));
        } else {
          convert(v);
        }
      }
    } else if (node instanceof JsonArray a) {
      a.forEach(CliTimes::convert);
    }
  }
}
