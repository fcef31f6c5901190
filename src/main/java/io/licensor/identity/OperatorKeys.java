package io.licensor.identity;

import com.nimbusds.jose.jwk.JWKSet;
import io.licensor.config.ConfigException;
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
 * The operators' issuers and their public keys ({@code identity.operatorIssuers}, each inline, in
 * a file, or published by the provider: a {@code jwksUri} or OpenID Connect discovery), and in dev
 * mode the local issuer. Reads files: call it off the event loop.
 */
public final class OperatorKeys {

  /** An operator issuer: its keys inline ({@code jwks}), or fetched ({@code jwksUri}, or by discovery when both are null). */
  public record OperatorIssuer(String issuer, JWKSet jwks, String jwksUri) {
    public boolean remote() {
      return jwks == null;
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(OperatorKeys.class);

  private OperatorKeys() {
  }

  /** {@code devIssuer}: dev mode's local issuer, or null. */
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
}
