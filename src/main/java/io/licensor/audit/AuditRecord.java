package io.licensor.audit;

import io.vertx.core.json.JsonObject;

/**
 * An audit record as written: the event, its place in its chain ({@code seq}, contiguous per
 * tenant from 1, and per the service-wide chain {@value AuditEvent#SERVICE_CHAIN}), the hash of
 * the record before it and its own. A copy of the stream (a file, a SIEM) can check that each
 * record's {@code prev} is the hash of the one before it and see any gap in {@code seq}; only this
 * world's nodes, which hold the chain key, can recompute a hash.
 */
public record AuditRecord(AuditEvent event, long seq, String prevHash, String hash) {

  /** One line of JSON: the record's members as the audit endpoints give them, plus tenant and prev. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("tenant", event.tenantId())
        .put("seq", seq)
        .put("at", event.at().toString())
        .put("kid", event.kid())
        .put("principal", event.principal())
        .put("action", event.action())
        .put("outcome", event.outcome())
        .put("node", event.node())
        .put("requestId", event.requestId())
        .put("prev", prevHash)
        .put("hash", hash);
    Object detail = AuditEvent.detailJson(event.detail());
    return detail == null ? json : json.put("detail", detail);
  }
}
