package io.licensor.tenants;

import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.json.JsonObject;

/** The tenant's trusted identity issuer: tokens with {@code iss} = issuer, signed by a key of jwks. */
public record TenantIdentity(String issuer, JWKSet jwks) {

  public JsonObject toJson() {
    return new JsonObject().put("issuer", issuer).put("jwks", new JsonObject(jwks.toPublicJWKSet().toJSONObject(true)));
  }
}
