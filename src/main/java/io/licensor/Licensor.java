package io.licensor;

import com.nimbusds.jose.jwk.JWKSet;
import io.licensor.audit.AuditLog;
import io.licensor.backup.BackupService;
import io.licensor.byok.ByokService;
import io.licensor.cluster.ChangeNotices;
import io.licensor.cluster.ClusterSetup;
import io.licensor.cluster.ClusterView;
import io.licensor.cluster.Membership;
import io.licensor.lifecycle.TenantLocks;
import io.licensor.cryptopolicy.CryptoPolicyStore;
import io.licensor.incidents.CampaignRunner;
import io.licensor.incidents.IncidentService;
import io.licensor.incidents.IncidentStore;
import io.licensor.mail.OutboxSender;
import io.licensor.metrics.Metrics;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.licensor.config.ConfigException;
import io.licensor.lifecycle.KeyLifecycle;
import io.licensor.config.LicensorConfig;
import io.licensor.db.Database;
import io.licensor.hsm.Hsm;
import io.licensor.hsm.HsmClient;
import io.licensor.hsm.HsmStats;
import io.licensor.hsm.HsmWorker;
import io.licensor.hsm.Pkcs11Hsm;
import io.licensor.hsm.SoftwareHsm;
import io.licensor.http.Api;
import io.licensor.http.HttpServerVerticle;
import io.licensor.identity.Authenticator;
import io.licensor.identity.DevIssuer;
import io.licensor.licensing.LicensingService;
import io.licensor.licensing.Warmup;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.TenantService;
import io.licensor.tenants.TenantStore;
import io.licensor.limits.TenantRateLimits;
import io.licensor.tls.ServerCertificate;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One licensor node: opens the security world, the database and the HSM, deploys the HSM workers
 * and the HTTP verticles, and stops them again. Start-up is a chain of futures; each step is
 * logged, and a failure stops the node with the step's message.
 */
public final class Licensor {

  private static final Logger LOG = LoggerFactory.getLogger(Licensor.class);
  public static final String HSM_WORKER_POOL = "licensor-hsm";

  private final Vertx vertx;
  private final LicensorConfig config;
  private final AtomicInteger port = new AtomicInteger();
  private Database database;
  private Hsm hsm;
  private HsmClient hsmClient;
  private String worldId;
  private DevIssuer devIssuer;
  private AuditLog audit;
  private byte[] auditChainKey;
  private KeyLifecycle lifecycle;
  private BackupService backupService;
  private LicensingService licensingService;
  private ChangeNotices notices;
  private CampaignRunner campaigns;
  private OutboxSender outbox;
  private ClusterView clusterView;
  private KeyDirectory directory;
  private HazelcastClusterManager clusterManager;
  private Membership membership;
  private Metrics metrics;
  private ServerCertificate certificate;
  private volatile String httpDeployment;

  private Licensor(Vertx vertx, LicensorConfig config) {
    this.vertx = vertx;
    this.config = config;
  }

  /** Starts a node with its own Vert.x instance. */
  public static Future<Licensor> start(LicensorConfig config) {
    return start(config, new VertxOptions());
  }

  public static Future<Licensor> start(LicensorConfig config, VertxOptions options) {
    io.licensor.tls.TlsPolicy.refuseClientRenegotiation(); // before the event bus's or HTTPS's first handshake
    Metrics metrics = new Metrics();
    VertxOptions withMetrics = new VertxOptions(options).setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true));
    MicrometerMetricsFactory factory = new MicrometerMetricsFactory(metrics.registry());
    Future<ClusterSetup.Clustered> clustered;
    // The HSM opens with the world before Vert.x exists: the clustered event bus's TLS comes from it.
    Future<Opening> opened = openBeforeVertx(config);
    if (config.clusterEnabled()) {
      clustered = opened.compose(o -> {
        try {
          return ClusterSetup.start(config, withMetrics, factory, o.node().worldId(), o.eventBusSecret())
              .onFailure(err -> o.node().hsm().close());
        } catch (RuntimeException e) {
          o.node().hsm().close();
          throw e;
        } finally {
          if (o.eventBusSecret() != null) {
            java.util.Arrays.fill(o.eventBusSecret(), (byte) 0);
          }
        }
      });
    } else {
      clustered = opened.map(o -> new ClusterSetup.Clustered(Vertx.builder().with(withMetrics).withMetrics(factory).build(), null));
    }
    // Completed off Vert.x: after a failed start the instance is closed, and a future bound to one of
    // its contexts would never deliver the failure (its event loops are gone).
    io.vertx.core.Promise<Licensor> result = io.vertx.core.Promise.promise();
    clustered.onComplete(started -> {
      if (started.failed()) {
        result.fail(started.cause());
        return;
      }
      ClusterSetup.Clustered c = started.result();
      Licensor node = new Licensor(c.vertx(), config);
      node.metrics = metrics;
      node.clusterManager = c.manager();
      node.startUp(opened.result().node()).onComplete(ar -> {
        if (ar.succeeded()) {
          result.complete(node);
          return;
        }
        new Thread(() -> {
          java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
          c.vertx().close().onComplete(x -> closed.countDown());
          try {
            closed.await(30, java.util.concurrent.TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          result.fail(ar.cause());
        }, "licensor-start-failed").start();
      });
    });
    return result.future();
  }

  /** The node's HSM and world, and for a clustered node the event-bus secret (null for a plain event bus). */
  private record Opening(NodeHsm node, byte[] eventBusSecret) {
  }

  /**
   * Opens the HSM with the node's world before there is a Vert.x instance. Reading the world and
   * opening a token block (a file, scrypt with a passphrase, PKCS#11); it runs on a thread of its
   * own so a caller on an event loop is not held.
   */
  private static Future<Opening> openBeforeVertx(LicensorConfig config) {
    return Future.fromCompletionStage(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      NodeHsm node;
      try {
        node = NodeHsm.open(config);
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot read the security world under " + config.dataDir() + ": "
            + e.getMessage(), e);
      }
      try {
        byte[] secret = config.clusterEnabled() && !config.clusterPlaintext() ? node.eventBusSecret() : null;
        return new Opening(node, secret);
      } catch (RuntimeException e) {
        node.hsm().close();
        throw e;
      }
    }, r -> new Thread(r, "licensor-world-load").start())).recover(err ->
        Future.failedFuture(err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err));
  }

  /** {@code opened}: the HSM with the world, opened by {@link #start}. */
  private Future<Licensor> startUp(NodeHsm opened) {
    membership = new Membership(clusterManager, config.nodeId());
    if (clusterManager != null) {
      LOG.info("joined cluster '{}' as member {} ({}); {} member(s)", clusterManager.getConfig().getClusterName(),
          membership.selfId(), membership.name(), membership.memberIds().size());
      clusterManager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipLog());
    }
    HsmClient.registerCodec(vertx);
    HsmStats stats = new HsmStats();
    return vertx.executeBlocking(() -> {
          hsm = opened.hsm();
          worldId = opened.worldId();
          world = opened;
          Warmup.run();
          RuntimeWarmup.run();
          if (config.devEnabled()) {
            devIssuer = DevIssuer.loadOrCreate(config.dataDir());
          }
          if (!config.httpPlaintext()) {
            certificate = ServerCertificate.load(config);
          }
          return worldId;
        })
        .compose(id -> {
          hsmClient = new HsmClient(vertx, config.hsmQueueCapacity(), config.hsmTenantQueueCapacity(), config.hsmSessions(),
              config.hsmTimeoutMs(), config.hsmRetryAfterSeconds(), stats, config.hsmGenerationQueue(), config.hsmExportThreads())
              .withMetrics(metrics);
          metrics.gauge("licensor.hsm.queue.depth", "HSM operations queued or running on this node", hsmClient::queueDepth);
          return vertx.deployVerticle(() -> new HsmWorker(hsm, stats), new DeploymentOptions()
                  .setThreadingModel(ThreadingModel.WORKER)
                  .setWorkerPoolName(HSM_WORKER_POOL)
                  .setWorkerPoolSize(config.hsmSessions())
                  .setInstances(config.hsmSessions()))
              // one more session, for key generation only
              .compose(x -> vertx.deployVerticle(() -> new HsmWorker(hsm, stats, true), new DeploymentOptions()
                  .setThreadingModel(ThreadingModel.WORKER)
                  .setWorkerPoolName(HSM_WORKER_POOL + "-keygen")
                  .setWorkerPoolSize(1)
                  .setInstances(1)));
        })
        .compose(id -> {
          LOG.info("HSM ({}) ready: {} session(s) and one for key generation, queue capacity {}", config.hsmType(),
              config.hsmSessions(), config.hsmQueueCapacity());
          return Database.start(vertx, config);
        })
        .compose(db -> hsmClient.worldMac(io.licensor.audit.AuditChain.KEY_LABEL).map(key -> {
          auditChainKey = key;
          return db;
        }))
        .compose(db -> {
          database = db;
          Map<String, JWKSet> operatorIssuers = operatorIssuers();
          // no tenant may take an operator issuer; dev mode's local issuer mints for both, tenants bound by tid
          java.util.Set<String> reserved = new java.util.HashSet<>(operatorIssuers.keySet());
          reserved.remove(DevIssuer.ISSUER);
          TenantStore store = new TenantStore(db.pool(), reserved, config.maxKeyVersions());
          directory = new KeyDirectory(store, config.keyRefreshSeconds() * 1000L);
          directory.onKeyRetired(hsmClient::forget);
          Authenticator authenticator = new Authenticator(operatorIssuers, directory, store, config.audience(),
              config.clockSkewSeconds(), config.maxTokenLifetimeSeconds());
          audit = new AuditLog(vertx, db.pool(), db.auditReads(), new io.licensor.audit.AuditChain(auditChainKey), config.nodeId(),
              config.auditQueueCapacity(), config.auditBatchSize(), config.auditKeyUse(), config.auditKeyUseDurable(),
              config.auditDurableTimeoutMs());
          java.util.Arrays.fill(auditChainKey, (byte) 0);
          audit.start(config.auditFlushMillis());
          audit.onBatch(metrics::auditBatch);
          metrics.gauge("licensor.audit.backlog", "Audit records queued, not yet written", audit::backlog);
          ByokService byok = new ByokService(db.pool(), hsmClient, config.kekTtlSeconds(), config.maxKeks());
          CryptoPolicyStore policies = new CryptoPolicyStore(db.pool());
          leaseStore = new io.licensor.tenants.LeaseStore(db.pool());
          lease = new io.licensor.tenants.DirectoryLease(vertx, leaseStore, directory, config.leaseMillis(), config.nodeId(),
              membership::selfId);
          directory.guardWith(lease);
          notices = new ChangeNotices(vertx, membership, directory, config.clusterNoticeTimeoutMs(), leaseStore, lease);
          clusterView = new ClusterView(vertx, membership, directory, this::nodeFacts, config.clusterNoticeTimeoutMs());
          lifecycle = new KeyLifecycle(vertx, store, directory, hsmClient, audit, byok, notices, policies);
          IncidentStore incidentStore = new IncidentStore(db.pool());
          campaigns = new CampaignRunner(incidentStore, lifecycle, policies, audit,
              config.campaignRatePerSecond(), config.campaignMaxAttempts(), config.campaignConcurrency());
          outbox = new OutboxSender(db.pool(), audit, config);
          IncidentService incidents = new IncidentService(incidentStore, policies, audit, () -> {
            campaigns.nudge();
            outbox.nudge();
          });
          backupService = new BackupService(store, directory, hsmClient, audit, worldId, new TenantLocks(vertx), notices);
          licensingService = new LicensingService(vertx, directory, hsmClient, audit, config.defaultLicenseTtlSeconds(),
              config.maxLicenseTtlSeconds());
          Api api = new Api(config, authenticator, directory, new TenantService(store, directory, hsmClient, audit, byok, policies),
              licensingService, lifecycle, audit, byok, backupService, clusterView, incidents, policies, db.pool(),
              metrics, this::readiness, new TenantRateLimits(config.tenantRatePerSecond(), config.tenantBurst()),
              new io.licensor.limits.KeyOperationLimits(config.keyOperationsPerMinute(), config.keyOperationsBurst()));
          long period = config.keyRefreshSeconds() * 1000L;
          vertx.setPeriodic(period, period, t -> directory.sweep().onFailure(err ->
              LOG.warn("key directory sweep failed ({}); cached tenants unconfirmed for {} s are reloaded before use",
                  err.toString(), 2 * config.keyRefreshSeconds())));
          return audit.markChainsKeyed()
              .compose(x -> io.licensor.lifecycle.CustodyUpgrade.run(store, hsmClient, worldId))
              .compose(x -> lease.start())
              .compose(x -> Future.all(notices.start(), clusterView.start()))
              .compose(x -> notices.warm())
              .compose(x -> vertx.deployVerticle(campaigns))
              .compose(x -> vertx.deployVerticle(outbox))
              .compose(x -> vertx.deployVerticle(() -> new HttpServerVerticle(api, port, certificate),
              new DeploymentOptions().setInstances(config.httpInstances())));
        })
        .map(id -> {
          httpDeployment = id;
          if (certificate != null) {
            LOG.info("HTTPS certificate {}; SHA-256 fingerprint {}", certificate.description(), certificate.fingerprint());
          } else {
            LOG.warn("plain HTTP (http.plaintext) on loopback {}: for local use only", config.httpHost());
          }
          LOG.info("licensor listening on {}://{}:{} ({} HTTP verticle(s)){}", certificate != null ? "https" : "http",
              config.httpHost(), port.get(), config.httpInstances(),
              config.devEnabled() ? " — DEV MODE: local token issuer enabled" : "");
          return this;
        });
  }

  /** This node's facts for the cluster view. */
  private JsonObject nodeFacts() {
    return new JsonObject()
        .put("worldId", worldId)
        .put("http", config.httpHost() + ":" + port.get())
        .put("hsm", new JsonObject().put("type", config.hsmType()).put("sessions", config.hsmSessions())
            .put("queueDepth", hsmClient.queueDepth()).put("queueCapacity", hsmClient.capacity()));
  }

  /** Logs members joining and leaving. */
  private static final class MembershipLog implements com.hazelcast.cluster.MembershipListener {
    @Override
    public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
      LOG.info("cluster member joined: {}; {} member(s)", event.getMember().getAddress(), event.getMembers().size());
    }

    @Override
    public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
      LOG.warn("cluster member left: {}; {} member(s)", event.getMember().getAddress(), event.getMembers().size());
    }
  }

  private Map<String, JWKSet> operatorIssuers() {
    Map<String, JWKSet> issuers = new LinkedHashMap<>();
    JsonArray configured = config.operatorIssuers();
    for (int i = 0; i < configured.size(); i++) {
      JsonObject entry = configured.getJsonObject(i);
      String where = "identity.operatorIssuers[" + i + "]";
      try {
        String text = entry.containsKey("jwks")
            ? entry.getJsonObject("jwks").encode()
            : Files.readString(Path.of(entry.getString("jwksFile")), StandardCharsets.UTF_8);
        JWKSet jwks = JWKSet.parse(text);
        if (jwks.getKeys().stream().anyMatch(k -> k.isPrivate())) {
          throw new ConfigException(where + ": the JWKS must hold public keys only");
        }
        issuers.put(entry.getString("issuer"), jwks);
      } catch (IOException e) {
        throw new ConfigException(where + ".jwksFile: cannot read " + entry.getString("jwksFile"));
      } catch (ParseException e) {
        throw new ConfigException(where + ": not a valid JWK Set");
      }
    }
    if (devIssuer != null) {
      issuers.put(DevIssuer.ISSUER, devIssuer.publicJwks());
    }
    if (issuers.isEmpty()) {
      LOG.warn("no operator issuer is configured (identity.operatorIssuers): no one can administer this node");
    }
    return issuers;
  }

  /** The HSM with the world as opened at start, and where the world is kept at rest (read then, off the event loop). */
  private volatile NodeHsm world;
  private volatile io.licensor.tenants.DirectoryLease lease;
  private volatile io.licensor.tenants.LeaseStore leaseStore;

  /**
   * Readiness is whether this node can serve licenses: its directory lease runs (its cache is
   * proven current), its HSM answers with its world, and it is still in its cluster. The database
   * is a detail: licensing goes on from the cache while the lease runs (a lease length at most
   * once the database is gone). {@code lifecycle} says whether lifecycle operations can run: the
   * database answers and the node is not split from peers whose leases say they are alive.
   */
  private Future<JsonObject> readiness() {
    Future<Void> db = database.ping().timeout(2, java.util.concurrent.TimeUnit.SECONDS);
    Future<String> hsmPing = hsmClient.ping().timeout(2, java.util.concurrent.TimeUnit.SECONDS);
    Future<java.util.List<io.licensor.tenants.LeaseStore.Lease>> peers = leaseStore.recent()
        .timeout(2, java.util.concurrent.TimeUnit.SECONDS);
    return Future.join(db, hsmPing, peers).transform(ar -> {
      JsonObject cluster = new JsonObject().put("status", membership.active() ? "UP" : "DOWN")
          .put("clustered", membership.clustered()).put("node", membership.name());
      if (membership.clustered() && membership.active()) {
        cluster.put("members", membership.memberIds().size());
      }
      if (membership.clustered() && peers.succeeded()) {
        java.util.List<String> members = membership.memberIds();
        java.util.List<String> outside = peers.result().stream()
            .filter(l -> l.live() && !l.leaseId().equals(lease.leaseId()) && l.memberId() != null && !members.contains(l.memberId()))
            .map(io.licensor.tenants.LeaseStore.Lease::nodeName).toList();
        cluster.put("split", !outside.isEmpty()).put("aliveOutside", new JsonArray(outside));
      }
      JsonObject leaseCheck = new JsonObject().put("status", lease.valid() ? "UP" : "DOWN")
          .put("renewedAgoMillis", lease.ageMillis()).put("leaseMillis", lease.leaseMillis()).put("epoch", lease.epochApplied());
      JsonObject checks = new JsonObject()
          .put("lease", leaseCheck)
          .put("cluster", cluster)
          .put("database", new JsonObject().put("status", db.succeeded() ? "UP" : "DOWN"))
          .put("hsm", hsmDetails(new JsonObject().put("status", hsmPing.succeeded() ? "UP" : "DOWN")
              .put("queueDepth", hsmClient.queueDepth()).put("queueCapacity", hsmClient.capacity())))
          .put("world", new JsonObject().put("status", hsmPing.succeeded() && worldId.equals(hsmPing.result()) ? "UP" : "DOWN")
              .put("sealed", world.sealedAtRest())
              .put("custody", world.custody().wireName())
              .put("worldId", worldId));
      // with durable key-use records (the default) a license needs its audit record written: then the database counts
      boolean up = java.util.stream.Stream.of("lease", "cluster", "hsm", "world")
          .allMatch(name -> "UP".equals(checks.getJsonObject(name).getString("status")))
          && (!audit.keyUseDurable() || db.succeeded());
      checks.getJsonObject("database").put("neededForLicensing", audit.keyUseDurable());
      boolean lifecycleUp = up && db.succeeded() && !cluster.getBoolean("split", false);
      return Future.succeededFuture(new JsonObject().put("status", up ? "UP" : "DOWN")
          .put("lifecycle", lifecycleUp ? "UP" : "DOWN").put("checks", checks));
    });
  }

  /** The backend, and on PKCS#11 whether the world's wrapping keys on the token are trusted ones. */
  private JsonObject hsmDetails(JsonObject hsmCheck) {
    hsmCheck.put("type", config.hsmType());
    if (hsm instanceof Pkcs11Hsm token) {
      hsmCheck.put("trustedWrapping", token.trustedWrapping());
    }
    return hsmCheck;
  }

  public int port() {
    return port.get();
  }

  /** The Hazelcast member port this node bound, or 0 when it is not clustered. */
  public int clusterPort() {
    return clusterManager == null ? 0
        : clusterManager.getHazelcastInstance().getCluster().getLocalMember().getAddress().getPort();
  }

  public Membership membership() {
    return membership;
  }

  public Vertx vertx() {
    return vertx;
  }

  public HsmStats hsmStats() {
    return hsmClient.stats();
  }

  public String worldId() {
    return worldId;
  }

  /** Backup and restore (also used in-process by {@code licensor dr-drill}). */
  public BackupService backup() {
    return backupService;
  }

  public LicensingService licensing() {
    return licensingService;
  }

  public KeyDirectory directory() {
    return directory;
  }

  /** The lifecycle service (also the in-process path for imported keys). */
  public KeyLifecycle lifecycle() {
    return lifecycle;
  }

  public AuditLog audit() {
    return audit;
  }

  private Future<Void> undeploy(io.vertx.core.VerticleBase verticle) {
    return verticle == null || verticle.deploymentID() == null ? Future.succeededFuture() : vertx.undeploy(verticle.deploymentID());
  }

  /**
   * Stops the node: writes the queued audit records, then closes Vert.x, the HSM and the database.
   * The steps after Vert.x closes are chained outside any Vert.x context (which no longer runs).
   */
  public Future<Void> stop() {
    // The HTTP servers stop accepting connections and finish the requests they have (up to the
    // grace period: HttpServerVerticle.stop); campaigns and the mail sender stop taking work; then
    // the audit backlog, the drained requests' records included, is written.
    String http = httpDeployment;
    httpDeployment = null;
    LOG.info("licensor stopping: no new connections; requests in progress may take up to {} s", config.shutdownGraceSeconds());
    Future<Void> drained = http == null ? Future.succeededFuture()
        : vertx.undeploy(http).otherwise(err -> {
          LOG.warn("HTTP servers did not drain cleanly: {}", err.toString());
          return null;
        });
    Future<Void> quiet = drained.compose(d -> Future.join(undeploy(campaigns), undeploy(outbox)))
        .<Void>mapEmpty().otherwise((Void) null);
    long auditMillis = java.util.concurrent.TimeUnit.SECONDS.toMillis(config.shutdownGraceSeconds());
    Future<Void> flushed = quiet.compose(v -> audit == null ? Future.succeededFuture() : audit.stop(auditMillis))
        // the lease given up, whatever the audit did: no lifecycle call waits for a node that has stopped
        .transform(ar -> (lease == null ? Future.<Void>succeededFuture() : lease.stop())
            .transform(x -> ar.succeeded() ? Future.<Void>succeededFuture() : Future.<Void>failedFuture(ar.cause())));
    java.util.concurrent.CompletableFuture<Void> done = flushed.toCompletionStage().toCompletableFuture()
        .handle((v, err) -> {
          if (err != null) {
            LOG.error("audit records could not be written before stopping: {}", err.toString());
          }
          return null;
        })
        .thenCompose(v -> vertx.close().toCompletionStage())
        .thenRun(() -> {
          if (hsm != null) {
            hsm.close();
          }
          if (metrics != null) {
            metrics.close();
          }
        })
        .thenCompose(v -> database == null ? java.util.concurrent.CompletableFuture.<Void>completedFuture(null)
            : database.closeEmbedded().toCompletionStage())
        .thenRun(() -> LOG.info("licensor stopped"));
    return Future.fromCompletionStage(done);
  }
}
