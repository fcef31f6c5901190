package io.licensor.tenants;

import io.licensor.errors.Problem;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.keys.KeyOrigin;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What kind of key version to make: {@code {origin, algorithm, byok?}}, as in tenant creation and re-key. */
public record KeyRequest(KeyOrigin origin, KeyAlgorithm algorithm, JsonObject byok) {

  public static KeyRequest parse(Object value, String where) {
    if (!(value instanceof JsonObject key)) {
      throw Problem.INVALID_REQUEST.with(where + " must be an object {origin, algorithm}");
    }
    Object originName = key.getValue("origin", "service");
    KeyOrigin origin = originName instanceof String s ? KeyOrigin.fromWireName(s).orElse(null) : null;
    if (origin == null) {
      throw Problem.INVALID_REQUEST.with(where + ".origin must be service or byok");
    }
    Object algorithmName = key.getValue("algorithm");
    KeyAlgorithm algorithm = algorithmName instanceof String s ? KeyAlgorithm.fromWireName(s).orElse(null) : null;
    if (algorithm == null) {
      throw Problem.INVALID_REQUEST.with(where + ".algorithm must be one of " + Arrays.stream(KeyAlgorithm.values())
          .map(KeyAlgorithm::wireName).collect(Collectors.joining(", ")));
    }
    if (origin == KeyOrigin.BYOK) {
      throw Problem.NOT_IMPLEMENTED.with("BYOK import is not available on this server yet; use origin service");
    }
    return new KeyRequest(origin, algorithm, key.getJsonObject("byok"));
  }
}
