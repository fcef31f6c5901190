package io.licensor.backup;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.TreeSet;

/**
 * JSON with object keys sorted at every level and no white space: the bytes a backup package's
 * MAC covers, so a package re-serialised by other tools (reordered, pretty-printed) still verifies.
 */
final class CanonicalJson {

  private CanonicalJson() {
  }

  static byte[] bytes(JsonObject json) {
    StringBuilder out = new StringBuilder();
    write(json, out);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(Object value, StringBuilder out) {
    if (value instanceof JsonObject o) {
      out.append('{');
      boolean first = true;
      for (String key : new TreeSet<>(o.fieldNames())) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(Json.encode(key)).append(':');
        write(o.getValue(key), out);
      }
      out.append('}');
    } else if (value instanceof JsonArray a) {
      out.append('[');
      for (int i = 0; i < a.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(a.getValue(i), out);
      }
      out.append(']');
    } else {
      out.append(Json.encode(value));
    }
  }
}
