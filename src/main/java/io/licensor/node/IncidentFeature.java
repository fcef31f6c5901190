package io.licensor.node;

import io.licensor.audit.AuditLog;
import io.licensor.audit.AuditTrail;
import io.licensor.config.LicensorConfig;
import io.licensor.incidents.CampaignRunner;
import io.licensor.incidents.IncidentService;
import io.licensor.incidents.IncidentStore;
import io.licensor.mail.Outbox;
import io.licensor.mail.OutboxSender;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;

/**
 * Breach response: incidents and their playbooks, the re-key campaigns they start, and the mail
 * to tenant admins. The campaign runner and the mail sender are verticles of their own, woken when
 * a declaration commits.
 */
record IncidentFeature(IncidentService incidents, CampaignRunner campaigns, OutboxSender outbox, Outbox mail) {

  static IncidentFeature create(Vertx vertx, Pool pool, DirectoryFeature tenants, LifecycleFeature lifecycle, AuditLog audit,
                                AuditTrail trail, LicensorConfig config) {
    IncidentStore store = new IncidentStore(pool, config.customerKeyRecheckSeconds());
    CampaignRunner campaigns = new CampaignRunner(store, lifecycle.keys(), lifecycle.policyStore(), audit,
        config.campaignRatePerSecond(), config.campaignMaxAttempts(), config.campaignConcurrency());
    OutboxSender outbox = new OutboxSender(pool, audit, config);
    IncidentService incidents = new IncidentService(store, tenants.store(), lifecycle.policyStore(), audit, trail, () -> {
      campaigns.nudge();
      outbox.nudge();
    });
    return new IncidentFeature(incidents, campaigns, outbox, new Outbox(vertx, pool, config));
  }

  Future<Void> deploy(Vertx vertx) {
    return vertx.deployVerticle(campaigns).compose(x -> vertx.deployVerticle(outbox)).mapEmpty();
  }

  /** Campaigns and mail stop taking work (what they started finishes or is retried by the next node). */
  Future<Void> undeploy(Vertx vertx) {
    return Future.join(undeploy(vertx, campaigns), undeploy(vertx, outbox)).mapEmpty();
  }

  private static Future<Void> undeploy(Vertx vertx, VerticleBase verticle) {
    return verticle.deploymentID() == null ? Future.succeededFuture() : vertx.undeploy(verticle.deploymentID());
  }
}
