package io.licensor.tenants;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.json.StrictJson;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.text.ParseException;
import java.util.List;
import java.util.Set;

/**
 * The tenant's trusted identity issuer: tokens with {@code iss} = issuer, signed by a key of its
 * key set: the inline {@code jwks} given at registration, the set published at {@code jwksUri}, or
 * (with {@code discovery}) the set the issuer's OpenID Connect discovery document names. A
 * published set follows the provider's key rotations (see {@code identity.remote.RemoteKeys}).
 * With a {@link TenantClaim}, only tokens whose claim of that name holds that value are the
 * tenant's: what lets several tenants share one issuer (one Keycloak realm, one Okta org, one
 * Entra ID app for several subscriptions) without one tenant's tokens opening another's.
 */
public record TenantIdentity(String issuer, JWKSet jwks, String jwksUri, boolean discovery, TenantClaim tenantClaim,
                             ClaimMapping claims) {

  public TenantIdentity {
    claims = claims == null ? ClaimMapping.DEFAULT : claims;
    if ((jwks != null ? 1 : 0) + (jwksUri != null ? 1 : 0) + (discovery ? 1 : 0) != 1) {
      throw new IllegalArgumentException("exactly one of jwks, jwksUri, discovery");
    }
  }

  public TenantIdentity(String issuer, JWKSet jwks, TenantClaim tenantClaim, ClaimMapping claims) {
    this(issuer, jwks, null, false, tenantClaim, claims);
  }

  /** Whether the keys are fetched from the identity provider rather than given inline. */
  public boolean remote() {
    return jwks == null;
  }

  /** The claim a token of this tenant carries, e.g. {@code tid} = the directory id. */
  public record TenantClaim(String name, String value) {
    public JsonObject toJson() {
      return new JsonObject().put("name", name).put("value", value);
    }
  }

  public TenantIdentity(String issuer, JWKSet jwks) {
    this(issuer, jwks, null, null);
  }

  public TenantIdentity(String issuer, JWKSet jwks, TenantClaim tenantClaim) {
    this(issuer, jwks, tenantClaim, null);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("issuer", issuer);
    if (jwks != null) {
      json.put("jwks", new JsonObject(jwks.toPublicJWKSet().toJSONObject(true)));
    } else if (jwksUri != null) {
      json.put("jwksUri", jwksUri);
    } else {
      json.put("discovery", true);
    }
    if (tenantClaim != null) {
      json.put("tenantClaim", tenantClaim.toJson());
    }
    return claims.isDefault() ? json : json.put("claims", claims.toJson());
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

  /** A tenant identity from its JSON form (as in a backup package); 400 invalid-request if malformed. */
  public static TenantIdentity fromJson(Object value) {
    if (!(value instanceof JsonObject identity)) {
      throw invalid("identity must be an object {issuer, and one of jwks, jwksUri, discovery}");
    }
    for (String field : identity.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw invalid("identity." + field + " is not a field of an identity (" + String.join(", ", FIELDS) + ")");
      }
    }
    String issuer = StrictJson.requiredText(identity, "issuer", 512);
    Object discoveryValue = identity.getValue("discovery");
    if (discoveryValue != null && !(discoveryValue instanceof Boolean)) {
      throw invalid("identity.discovery must be true or false");
    }
    boolean discovery = Boolean.TRUE.equals(discoveryValue);
    Object jwksValue = identity.getValue("jwks");
    Object uriValue = identity.getValue("jwksUri");
    int given = (jwksValue != null ? 1 : 0) + (uriValue != null ? 1 : 0) + (discovery ? 1 : 0);
    if (given != 1) {
      throw invalid("identity needs exactly one of jwks (an inline JWK Set), jwksUri (the https URL of the "
          + "issuer's JWK Set) or discovery: true (the jwks_uri of the issuer's OpenID Connect discovery document)");
    }
    ClaimMapping claims = ClaimMapping.fromJson(identity.getValue("claims"));
    TenantClaim tenantClaim = parseTenantClaim(identity.getValue("tenantClaim"));
    if (uriValue != null) {
      String uri = StrictJson.requiredText(identity, "jwksUri", 2048);
      String why = checkUrl(uri);
      if (why != null) {
        throw invalid("identity.jwksUri " + why);
      }
      return new TenantIdentity(issuer, null, uri, false, tenantClaim, claims);
    }
    if (discovery) {
      String why = checkUrl(issuer);
      if (why != null) {
        throw invalid("identity.issuer, with discovery, " + why + " (the discovery document is under it)");
      }
      return new TenantIdentity(issuer, null, null, true, tenantClaim, claims);
    }
    if (!(jwksValue instanceof JsonObject jwksJson)) {
      throw invalid("identity.jwks must be a JWK Set object {\"keys\":[...]}");
    }
    JWKSet jwks;
    if (jwksJson.encode().contains("\\u0000")) {
      throw invalid("identity.jwks may not contain NUL characters");
    }
    try {
      jwks = JWKSet.parse(jwksJson.encode());
    } catch (ParseException e) {
      throw invalid("identity.jwks is not a valid JWK Set");
    }
    if (jwks.getKeys().isEmpty() || jwks.getKeys().size() > 50) {
      throw invalid("identity.jwks must hold between 1 and 50 keys");
    }
    for (JWK k : jwks.getKeys()) {
      if (k.isPrivate()) {
        throw invalid("identity.jwks must hold public keys only");
      }
    }
    return new TenantIdentity(issuer, jwks, null, false, tenantClaim, claims);
  }

  private static final List<String> FIELDS = List.of("issuer", "jwks", "jwksUri", "discovery", "tenantClaim", "claims");

  private static TenantIdentity.TenantClaim parseTenantClaim(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject claim)) {
      throw invalid("identity.tenantClaim must be an object {name, value}");
    }
    String name = StrictJson.requiredText(claim, "name", 100);
    if (RESERVED_CLAIMS.contains(name)) {
      throw invalid("identity.tenantClaim.name may not be a registered JWT claim (" + name + ")");
    }
    return new TenantIdentity.TenantClaim(name, StrictJson.requiredText(claim, "value", 512));
  }

  /** Claims whose value every token of an issuer has, or that the token's verification already checks. */
  private static final Set<String> RESERVED_CLAIMS = Set.of("iss", "aud", "exp", "nbf", "iat", "jti");

  private static ProblemException invalid(String detail) {
    return Problem.INVALID_REQUEST.with(detail);
  }

  /** Why {@code text} is not an https URL licensor would fetch, or null (the addresses are checked at fetch). */
  /** Why {@code text} is not a URL licensor fetches keys from (https, a host, no user information or fragment), or null. */
  public static String checkUrl(String text) {
    try {
      URI uri = new URI(text);
      if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
        return "must be an https:// URL with a host";
      }
      if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
        return "may not carry user information or a fragment";
      }
      uri.toURL();
      return null;
    } catch (Exception e) {
      return "is not a valid URL";
    }
  }
}
