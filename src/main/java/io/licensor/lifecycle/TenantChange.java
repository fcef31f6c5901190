package io.licensor.lifecycle;

import io.licensor.errors.Problem;
import io.licensor.rights.RightsTemplate;
import io.licensor.tenants.Tenant;
import io.licensor.tenants.TenantIdentity;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A checked request to change a tenant ({@code PATCH /v1/tenants/{tid}}): any of
 * {@code displayName}, {@code adminEmail}, {@code identity} and {@code maxOfflineAccessSeconds},
 * each replaced whole (an identity is given in full, as at creation; a maximum given as null is the
 * service's again). Null members are the ones not changed.
 */
record TenantChange(String displayName, String adminEmail, TenantIdentity identity, Optional<Long> maxOfflineAccessSeconds) {

  private static final List<String> FIELDS = List.of("displayName", "adminEmail", "identity", "maxOfflineAccessSeconds");

  /** Members of a tenant that are not changed this way, and what changes them. */
  private static final Map<String, String> ELSEWHERE = Map.of(
      "id", "a tenant's id never changes",
      "state", "the subscription changes by POST .../cancel and .../reactivate",
      "key", "keys change by re-key (POST .../keys/rekey) or BYOK import",
      "keys", "keys change by re-key (POST .../keys/rekey) or BYOK import",
      "currentKid", "keys change by re-key (POST .../keys/rekey) or BYOK import",
      "createdAt", "a tenant's creation time never changes");

  /** 400 invalid-request naming the first defect; a body changing nothing is one. */
  static TenantChange parse(JsonObject body) {
    for (String field : body.fieldNames()) {
      if (ELSEWHERE.containsKey(field)) {
        throw Problem.INVALID_REQUEST.with(field + " cannot be changed here: " + ELSEWHERE.get(field));
      }
      if (!FIELDS.contains(field)) {
        throw Problem.INVALID_REQUEST.with(field + " is not a member of a tenant change (" + String.join(", ", FIELDS) + ")");
      }
    }
    if (body.isEmpty()) {
      throw Problem.INVALID_REQUEST.with("the change names nothing to change (" + String.join(", ", FIELDS) + ")");
    }
    return new TenantChange(
        body.containsKey("displayName") ? NewTenant.displayName(body) : null,
        body.containsKey("adminEmail") ? NewTenant.adminEmail(body) : null,
        body.containsKey("identity") ? TenantIdentity.fromJson(body.getValue("identity")) : null,
        body.containsKey("maxOfflineAccessSeconds") ? Optional.ofNullable(maxOfflineAccess(body)) : null);
  }

  private static Long maxOfflineAccess(JsonObject body) {
    try {
      return RightsTemplate.offlineAccess(body.getValue("maxOfflineAccessSeconds"), "maxOfflineAccessSeconds");
    } catch (IllegalArgumentException e) {
      throw Problem.INVALID_REQUEST.with(e.getMessage() + ", or null for the service's maximum");
    }
  }

  /** The tenant with this change made. */
  Tenant applyTo(Tenant t) {
    return new Tenant(t.id(), displayName == null ? t.displayName() : displayName,
        adminEmail == null ? t.adminEmail() : adminEmail, identity == null ? t.identity() : identity, t.state(),
        t.createdAt(), maxOfflineAccessSeconds == null ? t.maxOfflineAccessSeconds() : maxOfflineAccessSeconds.orElse(null));
  }

  /**
   * What changed from {@code before} to {@code after}, for the audit: the members' names, and for
   * an identity its issuer and key source before and after (public data only; an e-mail address
   * or a display name is not repeated there).
   */
  static JsonObject describe(Tenant before, Tenant after) {
    JsonArray changed = new JsonArray();
    JsonObject detail = new JsonObject().put("changed", changed);
    if (!before.displayName().equals(after.displayName())) {
      changed.add("displayName");
    }
    if (!before.adminEmail().equals(after.adminEmail())) {
      changed.add("adminEmail");
    }
    if (!Objects.equals(before.maxOfflineAccessSeconds(), after.maxOfflineAccessSeconds())) {
      changed.add("maxOfflineAccessSeconds");
      detail.put("maxOfflineAccessSeconds", new JsonObject().put("from", before.maxOfflineAccessSeconds())
          .put("to", after.maxOfflineAccessSeconds()));
    }
    if (!before.identity().toJson().equals(after.identity().toJson())) {
      changed.add("identity");
      detail.put("identity", new JsonObject()
          .put("from", summary(before.identity()))
          .put("to", summary(after.identity())));
    }
    return detail;
  }

  private static JsonObject summary(TenantIdentity identity) {
    JsonObject s = new JsonObject().put("issuer", identity.issuer());
    if (identity.jwks() != null) {
      s.put("jwks", new JsonArray(identity.jwks().getKeys().stream().map(k -> (Object) k.getKeyID()).toList()));
    } else if (identity.jwksUri() != null) {
      s.put("jwksUri", identity.jwksUri());
    } else {
      s.put("discovery", true);
    }
    if (identity.tenantClaim() != null) {
      s.put("tenantClaim", identity.tenantClaim().toJson());
    }
    return s;
  }
}
