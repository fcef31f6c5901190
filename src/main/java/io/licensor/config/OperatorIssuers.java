package io.licensor.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Checks the shape of {@code identity.operatorIssuers}: each entry names an issuer and its keys. */
final class OperatorIssuers {

  private OperatorIssuers() {
  }

  static void validate(JsonArray issuers) {
    for (int i = 0; i < issuers.size(); i++) {
      String where = "identity.operatorIssuers[" + i + "]";
      if (!(issuers.getValue(i) instanceof JsonObject entry)) {
        throw new ConfigException(where + ": must be an object {issuer, jwks | jwksFile}");
      }
      if (!(entry.getValue("issuer") instanceof String iss) || iss.isBlank()) {
        throw new ConfigException(where + ".issuer: required, a non-empty string");
      }
      boolean inline = entry.getValue("jwks") instanceof JsonObject;
      boolean file = entry.getValue("jwksFile") instanceof String;
      if (inline == file) {
        throw new ConfigException(where + ": give exactly one of jwks (a JWK Set object) or jwksFile (a path)");
      }
      for (String key : entry.fieldNames()) {
        if (!key.equals("issuer") && !key.equals("jwks") && !key.equals("jwksFile")) {
          throw new ConfigException(where + "." + key + ": unknown setting");
        }
      }
    }
  }
}
