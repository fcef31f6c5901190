package io.licensor.tenants;

import com.nimbusds.jose.jwk.JWKSet;
import io.vertx.core.json.JsonObject;

/**
 * The tenant's trusted identity issuer: tokens with {@code iss} = issuer, signed by a key of jwks.
 * With a {@link TenantClaim}, only tokens whose claim of that name holds that value are the
 * tenant's: what lets several tenants share one issuer (one Keycloak realm, one Okta org, one
 * Entra ID app for several subscriptions) without one tenant's tokens opening another's.
 */
public record TenantIdentity(String issuer, JWKSet jwks, TenantClaim tenantClaim) {

  /** The claim a token of this tenant carries, e.g. {@code tid} = the directory id. */
  public record TenantClaim(String name, String value) {
    public JsonObject toJson() {
      return new JsonObject().put("name", name).put("value", value);
    }
  }

  public TenantIdentity(String issuer, JWKSet jwks) {
    this(issuer, jwks, null);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("issuer", issuer).put("jwks", new JsonObject(jwks.toPublicJWKSet().toJSONObject(true)));
    return tenantClaim == null ? json : json.put("tenantClaim", tenantClaim.toJson());
  }

  /**
   * Why this identity may not be registered beside the other tenants that trust the same issuer,
   * or null if it may: every one of them, and this one, must bind a tenant claim, no two the same.
   *
   * @param taken      another tenant trusts the issuer
   * @param unbound    another tenant trusts it without a tenant claim
   * @param sameClaim  another tenant trusts it with this identity's tenant claim
   */
  public String conflict(boolean taken, boolean unbound, boolean sameClaim) {
    if (taken && (tenantClaim == null || unbound)) {
      return "issuer '" + issuer + "' is already registered for another tenant; tenants may share an issuer only "
          + "when each binds a tenant claim (identity.tenantClaim {name, value}), and one of them does not";
    }
    if (sameClaim) {
      return "issuer '" + issuer + "' is already registered for another tenant with the same tenant claim "
          + tenantClaim.name() + " = " + tenantClaim.value();
    }
    return null;
  }
}
