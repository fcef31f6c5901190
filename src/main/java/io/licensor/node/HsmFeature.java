package io.licensor.node;

import io.licensor.config.LicensorConfig;
import io.licensor.hsm.HsmClient;
import io.licensor.hsm.HsmStats;
import io.licensor.hsm.HsmWorker;
import io.licensor.metrics.Metrics;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HSM sessions: one worker verticle per session on a worker pool of its own, one more
 * for key generation, and the client the rest of the node calls them through.
 */
record HsmFeature(NodeHsm world, HsmClient client) {

  private static final Logger LOG = LoggerFactory.getLogger(HsmFeature.class);
  static final String WORKER_POOL = "licensor-hsm";

  static Future<HsmFeature> start(Vertx vertx, NodeHsm world, LicensorConfig config, Metrics metrics) {
    HsmClient.registerCodec(vertx);
    HsmStats stats = new HsmStats();
    HsmClient client = new HsmClient(vertx, config.hsmQueueCapacity(), config.hsmTenantQueueCapacity(), config.hsmSessions(),
        config.hsmTimeoutMs(), config.hsmRetryAfterSeconds(), stats, config.hsmGenerationQueue(), config.hsmExportThreads())
        .withMetrics(metrics);
    metrics.gauge("licensor.hsm.queue.depth", "HSM operations queued or running on this node", client::queueDepth);
    return vertx.deployVerticle(() -> new HsmWorker(world.hsm(), stats), new DeploymentOptions()
            .setThreadingModel(ThreadingModel.WORKER)
            .setWorkerPoolName(WORKER_POOL)
            .setWorkerPoolSize(config.hsmSessions())
            .setInstances(config.hsmSessions()))
        // one more session, for key generation only
        .compose(x -> vertx.deployVerticle(() -> new HsmWorker(world.hsm(), stats, true), new DeploymentOptions()
            .setThreadingModel(ThreadingModel.WORKER)
            .setWorkerPoolName(WORKER_POOL + "-keygen")
            .setWorkerPoolSize(1)
            .setInstances(1)))
        .map(x -> {
          LOG.info("HSM ({}) ready: {} session(s) and one for key generation, queue capacity {}", config.hsmType(),
              config.hsmSessions(), config.hsmQueueCapacity());
          return new HsmFeature(world, client);
        });
  }

  String worldId() {
    return world.worldId();
  }
}
