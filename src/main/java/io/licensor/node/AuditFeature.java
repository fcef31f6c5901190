package io.licensor.node;

import io.licensor.audit.AuditChain;
import io.licensor.audit.AuditLog;
import io.licensor.audit.AuditTrail;
import io.licensor.config.LicensorConfig;
import io.licensor.db.Database;
import io.licensor.hsm.HsmClient;
import io.licensor.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.Arrays;

/**
 * The audit trail: its chain key, derived from the world in the HSM (so only this world's nodes
 * can extend or verify the chains), its writer started, and chains begun before keyed chains
 * existed marked.
 */
record AuditFeature(AuditLog log, AuditTrail trail) {

  static Future<AuditFeature> start(Vertx vertx, Database db, HsmClient hsm, LicensorConfig config, Metrics metrics) {
    return hsm.worldMac(AuditChain.KEY_LABEL).compose(key -> {
      AuditChain chain;
      try {
        chain = new AuditChain(key);
      } finally {
        Arrays.fill(key, (byte) 0);
      }
      AuditLog audit = new AuditLog(vertx, db.pool(), chain, config.nodeId(),
          config.auditQueueCapacity(), config.auditBatchSize(), config.auditKeyUse(), config.auditKeyUseDurable(),
          config.auditDurableTimeoutMs());
      audit.start(config.auditFlushMillis());
      audit.onBatch(metrics::auditBatch);
      metrics.gauge("licensor.audit.backlog", "Audit records queued, not yet written", audit::backlog);
      return audit.markChainsKeyed().map(new AuditFeature(audit, new AuditTrail(vertx, db.auditReads(), chain)));
    });
  }
}
