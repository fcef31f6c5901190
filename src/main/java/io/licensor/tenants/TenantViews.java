package io.licensor.tenants;

import com.nimbusds.jose.jwk.JWK;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.keys.KeyOrigin;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** JSON views of tenants and keys: public data only, never a key token. */
public final class TenantViews {

  private TenantViews() {
  }

  /** A key version's public data; no key material once destroyed. */
  public static JsonObject keyVersion(KeyVersion v) {
    JsonObject key = new JsonObject()
        .put("kid", v.kid())
        .put("version", v.version())
        .put("state", v.state().wireName())
        .put("algorithm", v.algorithm().wireName())
        .put("origin", v.origin().wireName())
        .put("exportable", v.origin() != KeyOrigin.BYOK)
        .put("createdAt", v.createdAt().toString());
    if (v.state() != KeyVersionState.DESTROYED) {
      key.put("jwk", jwk(v.publicJwk()));
    }
    return key;
  }

  /**
   * The tenant's entity tag: its revision, which every change to the tenant or any of its key
   * versions raises ({@code "r12"}; a strong tag, compared as such by If-Match).
   */
  public static String etag(long revision) {
    return "\"r" + revision + "\"";
  }

  /** 412 precondition-failed: {@code what} (a tenant, a template) is at {@code revision}, not at one If-Match names; its ETag. */
  static ProblemException stale(String what, long revision) {
    return Problem.PRECONDITION_FAILED.with(what + " is at " + etag(revision) + ", not at the version If-Match names: "
        + "read it again and make the change to what it is now").header("ETag", etag(revision));
  }

  public static JsonObject tenant(TenantKeys t) {
    JsonArray keys = new JsonArray();
    for (KeyVersion v : t.versions()) {
      keys.add(keyVersion(v));
    }
    Tenant tenant = t.tenant();
    return new JsonObject()
        .put("id", tenant.id())
        .put("displayName", tenant.displayName())
        .put("adminEmail", tenant.adminEmail())
        .put("state", tenant.state().wireName())
        .put("identity", tenant.identity().toJson())
        .put("createdAt", tenant.createdAt().toString())
        .put("maxOfflineAccessSeconds", tenant.maxOfflineAccessSeconds())
        .put("currentKid", t.active().map(KeyVersion::kid).orElse(null))
        .put("keys", keys);
  }

  public static JsonObject currentKey(KeyVersion v) {
    return new JsonObject()
        .put("kid", v.kid())
        .put("version", v.version())
        .put("algorithm", v.algorithm().wireName())
        .put("jwk", jwk(v.publicJwk()));
  }

  /** A JWK Set of every version that is not destroyed. */
  public static JsonObject jwks(TenantKeys t) {
    return jwks(t, List.of());
  }

  /**
   * The JWK Set of every non-destroyed version, then the delegated signing keys still listed
   * ({@code tenant:version.n}, each with its certificate in x5c) of those versions, while the
   * tenant is active.
   */
  public static JsonObject jwks(TenantKeys t, List<JsonObject> delegated) {
    JsonArray keys = new JsonArray();
    List<KeyVersion> versions = t.versions();
    for (KeyVersion v : versions) {
      if (v.state() != KeyVersionState.DESTROYED) {
        keys.add(jwk(v.publicJwk()));
      }
    }
    if (t.tenant().state() == TenantState.ACTIVE) {
      for (JsonObject d : delegated) {
        String kid = d.getString("kid", "");
        int dot = kid.lastIndexOf('.');
        String versionKid = dot < 0 ? "" : kid.substring(0, dot);
        if (versions.stream().anyMatch(v -> v.kid().equals(versionKid) && v.state() != KeyVersionState.DESTROYED)) {
          keys.add(d);
        }
      }
    }
    return new JsonObject().put("keys", keys);
  }

  private static JsonObject jwk(JWK key) {
    return new JsonObject(key.toPublicJWK().toJSONObject());
  }
}
