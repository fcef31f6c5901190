package io.licensor.incidents;

import io.vertx.core.json.JsonObject;

import java.time.OffsetDateTime;

/** An incident as stored. {@code campaignSince} is null for a campaign not started (an HSM update not yet recorded). */
public record Incident(String id, IncidentType type, JsonObject scope, String summary, String declaredBy,
                       OffsetDateTime declaredAt, OffsetDateTime campaignSince, String targetAlgorithm,
                       String hsmGeneration, String hsmUpdate, JsonObject policy, JsonObject usageReport) {

  public boolean allTenants() {
    return scope.getBoolean("all", false);
  }
}
