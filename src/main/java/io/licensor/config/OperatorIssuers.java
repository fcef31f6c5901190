package io.licensor.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Checks the shape of {@code identity.operatorIssuers}: each entry names an issuer and where its
 * keys come from: inline ({@code jwks}), a file ({@code jwksFile}), the provider's published set
 * ({@code jwksUri}) or its OpenID Connect discovery document ({@code discovery: true}).
 */
final class OperatorIssuers {

  private OperatorIssuers() {
  }

  private static boolean httpsUrl(String text) {
    try {
      java.net.URI uri = new java.net.URI(text);
      return "https".equalsIgnoreCase(uri.getScheme()) && uri.getHost() != null && uri.getUserInfo() == null
          && uri.getFragment() == null;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  static void validate(JsonArray issuers) {
    for (int i = 0; i < issuers.size(); i++) {
      String where = "identity.operatorIssuers[" + i + "]";
      if (!(issuers.getValue(i) instanceof JsonObject entry)) {
        throw new ConfigException(where + ": must be an object {issuer, jwks | jwksFile | jwksUri | discovery}");
      }
      if (!(entry.getValue("issuer") instanceof String iss) || iss.isBlank()) {
        throw new ConfigException(where + ".issuer: required, a non-empty string");
      }
      for (String key : entry.fieldNames()) {
        if (!key.equals("issuer") && !key.equals("jwks") && !key.equals("jwksFile") && !key.equals("jwksUri")
            && !key.equals("discovery")) {
          throw new ConfigException(where + "." + key + ": unknown setting");
        }
      }
      if (entry.containsKey("discovery") && !(entry.getValue("discovery") instanceof Boolean)) {
        throw new ConfigException(where + ".discovery: true or false");
      }
      int sources = (entry.getValue("jwks") instanceof JsonObject ? 1 : 0) + (entry.getValue("jwksFile") instanceof String ? 1 : 0)
          + (entry.getValue("jwksUri") instanceof String ? 1 : 0) + (Boolean.TRUE.equals(entry.getValue("discovery")) ? 1 : 0);
      if (sources != 1) {
        throw new ConfigException(where + ": give exactly one of jwks (a JWK Set object), jwksFile (a path), "
            + "jwksUri (the https URL of the issuer's JWK Set) or discovery: true (OpenID Connect discovery under the issuer)");
      }
      String url = entry.getValue("jwksUri") instanceof String u ? u : Boolean.TRUE.equals(entry.getValue("discovery")) ? iss : null;
      if (url != null && !httpsUrl(url)) {
        throw new ConfigException(where + (entry.containsKey("jwksUri") ? ".jwksUri" : ".issuer (with discovery)")
            + ": must be an https:// URL with a host");
      }
    }
  }
}
