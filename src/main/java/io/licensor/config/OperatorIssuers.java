package io.licensor.config;

import com.nimbusds.jose.jwk.JWKSet;
import io.licensor.identity.DevIssuer;
import io.licensor.identity.OperatorIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks the shape of {@code identity.operatorIssuers}: each entry names an issuer and where its
 * keys come from: inline ({@code jwks}), a file ({@code jwksFile}), the provider's published set
 * ({@code jwksUri}) or its OpenID Connect discovery document ({@code discovery: true}).
 */
public final class OperatorIssuers {

  private static final Logger LOG = LoggerFactory.getLogger(OperatorIssuers.class);

  private OperatorIssuers() {
  }

  /**
   * The operators' issuers of a checked configuration, with their keys (files read: call it off
   * the event loop), and in dev mode ({@code devIssuer} not null) the local issuer.
   */
  public static Map<String, OperatorIssuer> load(JsonArray configured, DevIssuer devIssuer) {
    Map<String, OperatorIssuer> issuers = new LinkedHashMap<>();
    for (int i = 0; i < configured.size(); i++) {
      JsonObject entry = configured.getJsonObject(i);
      String where = "identity.operatorIssuers[" + i + "]";
      if (entry.containsKey("jwksUri") || Boolean.TRUE.equals(entry.getBoolean("discovery"))) {
        issuers.put(entry.getString("issuer"), new OperatorIssuer(entry.getString("issuer"), null, entry.getString("jwksUri")));
        continue;
      }
      try {
        String text = entry.containsKey("jwks")
            ? entry.getJsonObject("jwks").encode()
            : Files.readString(Path.of(entry.getString("jwksFile")), StandardCharsets.UTF_8);
        JWKSet jwks = JWKSet.parse(text);
        if (jwks.getKeys().stream().anyMatch(k -> k.isPrivate())) {
          throw new ConfigException(where + ": the JWKS must hold public keys only");
        }
        issuers.put(entry.getString("issuer"), new OperatorIssuer(entry.getString("issuer"), jwks, null));
      } catch (IOException e) {
        throw new ConfigException(where + ".jwksFile: cannot read " + entry.getString("jwksFile"));
      } catch (ParseException e) {
        throw new ConfigException(where + ": not a valid JWK Set");
      }
    }
    if (devIssuer != null) {
      issuers.put(DevIssuer.ISSUER, new OperatorIssuer(DevIssuer.ISSUER, devIssuer.publicJwks(), null));
    }
    if (issuers.isEmpty()) {
      LOG.warn("no operator issuer is configured (identity.operatorIssuers): no one can administer this node");
    }
    return issuers;
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
      String why = url == null ? null : io.licensor.tenants.TenantIdentity.checkUrl(url);
      if (why != null) {
        // the same rule as a tenant's identity URLs
        throw new ConfigException(where + (entry.containsKey("jwksUri") ? ".jwksUri" : ".issuer (with discovery)") + ": " + why);
      }
    }
  }
}
