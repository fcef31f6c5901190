package io.licensor.incidents;

import io.vertx.core.json.JsonObject;

import java.time.OffsetDateTime;

/**
 * An incident as stored. {@code campaignSince} is null for a campaign not started (an HSM update
 * not yet recorded). {@code byokServiceKey}: the operator chose to re-key tenants whose key is
 * their own (BYOK) with a key the service makes; otherwise their campaign items wait for the
 * customer's new key.
 */
public record Incident(String id, IncidentType type, JsonObject scope, String summary, String declaredBy,
                       OffsetDateTime declaredAt, OffsetDateTime campaignSince, String targetAlgorithm,
                       String hsmGeneration, String hsmUpdate, JsonObject policy, JsonObject usageReport,
                       boolean byokServiceKey) {

  public boolean allTenants() {
    return scope.getBoolean("all", false);
  }
}
