package io.licensor.cryptopolicy;

import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The crypto policy for operators: read it, or replace it. A replacement runs in one transaction
 * holding the policy's row lock (as an incident's raise does), so concurrent changes are applied
 * one after another, and each is audited, in the service chain, with the policy it replaced.
 */
public final class CryptoPolicies {

  private final CryptoPolicyStore store;
  private final AuditLog audit;

  public CryptoPolicies(CryptoPolicyStore store, AuditLog audit) {
    this.store = store;
    this.audit = audit;
  }

  public Future<CryptoPolicy> current() {
    return store.current();
  }

  /** Replaces the policy; {@code by} is who asked, for the record. */
  public Future<CryptoPolicy> set(CryptoPolicy policy, String by, String requestId) {
    return store.inTransaction(conn -> store.currentForUpdate(conn)
            .compose(before -> store.put(conn, policy, by).map(before)))
        .compose(before -> audit.record(AuditEvent.now(AuditEvent.SERVICE_CHAIN, null, by, "crypto-policy.set", "ok",
            audit.node(), requestId, new JsonObject().put("from", before.toJson()).put("to", policy.toJson()).encode())))
        .map(policy);
  }
}
