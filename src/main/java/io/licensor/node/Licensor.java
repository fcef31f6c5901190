package io.licensor.node;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.licensor.audit.AuditLog;
import io.licensor.audit.AuditTrail;
import io.licensor.backup.BackupService;
import io.licensor.cluster.ClusterSetup;
import io.licensor.cluster.Membership;
import io.licensor.config.ConfigException;
import io.licensor.config.LicensorConfig;
import io.licensor.config.OperatorIssuers;
import io.licensor.db.Database;
import io.licensor.hsm.HsmStats;
import io.licensor.http.Auth;
import io.licensor.http.Routes;
import io.licensor.identity.Authenticator;
import io.licensor.identity.DevIssuer;
import io.licensor.identity.IdentityCheck;
import io.licensor.identity.OperatorIssuer;
import io.licensor.identity.remote.RemoteKeys;
import io.licensor.delegation.SigningKeys;
import io.licensor.hsm.SoftwareCrypto;
import io.licensor.licensing.LicensingService;
import io.licensor.licensing.Warmup;
import io.licensor.lifecycle.KeyLifecycle;
import io.licensor.metrics.Metrics;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tls.ServerCertificate;
import io.licensor.tls.TlsEngines;
import io.licensor.tls.TlsPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One licensor node: opens the security world, the database and the HSM, deploys the HSM workers
 * and the HTTP verticles, and stops them again. Start-up is a chain of futures; each step is
 * logged, and a failure stops the node with the step's message.
 */
public final class Licensor {

  private static final Logger LOG = LoggerFactory.getLogger(Licensor.class);

  private final Vertx vertx;
  private final LicensorConfig config;
  private final AtomicInteger port = new AtomicInteger();
  private Metrics metrics;
  private HazelcastClusterManager clusterManager;
  private Membership membership;
  private NodeHsm world;
  private HsmFeature hsm;
  private Database database;
  private AuditLog audit;
  private AuditTrail trail;
  private io.licensor.audit.devices.AuditDevices auditDevices;
  private DirectoryFeature tenants;
  private ClusterFeature cluster;
  private LifecycleFeature lifecycle;
  private IncidentFeature incidents;
  private LicensingService licensing;
  private Auth auth;
  private List<Routes> routes;
  private volatile String httpDeployment;
  private DataDirLock dataDirLock;

  private Licensor(Vertx vertx, LicensorConfig config) {
    this.vertx = vertx;
    this.config = config;
  }

  /** Starts a node with its own Vert.x instance. */
  public static Future<Licensor> start(LicensorConfig config) {
    return start(config, new VertxOptions());
  }

  public static Future<Licensor> start(LicensorConfig config, VertxOptions options) {
    // first, before any side effect: the port, and this node's hold on its data directory
    DataDirLock lock;
    try {
      PortCheck.free(config.httpHost(), config.httpPort());
      lock = DataDirLock.acquire(config.dataDir());
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    return start(config, options, lock).onFailure(err -> lock.release());
  }

  private static Future<Licensor> start(LicensorConfig config, VertxOptions options, DataDirLock lock) {
    TlsPolicy.refuseClientRenegotiation(); // before the event bus's or HTTPS's first handshake
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
            Arrays.fill(o.eventBusSecret(), (byte) 0);
          }
        }
      });
    } else {
      clustered = opened.map(o -> new ClusterSetup.Clustered(Vertx.builder().with(withMetrics).withMetrics(factory).build(), null));
    }
    // Completed off Vert.x: after a failed start the instance is closed, and a future bound to one of
    // its contexts would never deliver the failure (its event loops are gone).
    Promise<Licensor> result = Promise.promise();
    clustered.onComplete(started -> {
      if (started.failed()) {
        result.fail(started.cause());
        return;
      }
      ClusterSetup.Clustered c = started.result();
      Licensor node = new Licensor(c.vertx(), config);
      node.dataDirLock = lock;
      node.metrics = metrics;
      node.clusterManager = c.manager();
      node.startUp(opened.result().node()).onComplete(ar -> {
        if (ar.succeeded()) {
          result.complete(node);
          return;
        }
        new Thread(() -> {
          CountDownLatch closed = new CountDownLatch(1);
          c.vertx().close().onComplete(x -> closed.countDown());
          try {
            closed.await(30, TimeUnit.SECONDS);
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
    return Future.fromCompletionStage(CompletableFuture.supplyAsync(() -> {
      NodeHsm node;
      try {
        node = NodeHsm.open(config);
      } catch (IOException e) {
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
        Future.failedFuture(err instanceof CompletionException && err.getCause() != null ? err.getCause() : err));
  }

  /** What start-up reads from disk, off the event loop: dev mode's issuer, the HTTPS certificate, the operators' keys. */
  private record Prepared(ServerCertificate certificate, TlsEngines.Engine tlsEngine, Map<String, OperatorIssuer> operatorIssuers,
                          SoftwareCrypto crypto, RemoteKeys remoteKeys) {
  }

  private Prepared prepare() throws Exception {
    // the provider of the licensing path's public-key work (the recipient's JWE): the software HSM's choice
    SoftwareCrypto crypto = NodeHsm.softwareCrypto(config);
    Warmup.run(crypto);
    RuntimeWarmup.run();
    DevIssuer devIssuer = config.devEnabled() ? DevIssuer.loadOrCreate(config.dataDir()) : null;
    ServerCertificate certificate = config.httpPlaintext() ? null : ServerCertificate.load(config);
    TlsEngines.Engine tlsEngine = certificate == null ? null : TlsEngines.choose(config.httpTlsEngine());
    return new Prepared(certificate, tlsEngine, OperatorIssuers.load(config.operatorIssuers(), devIssuer), crypto,
        new RemoteKeys(config.remoteKeys()));
  }

  /**
   * {@code opened}: the HSM with the world, opened by {@link #start}. Each feature assembles
   * itself from the ones below it; the node serves once all of them run.
   */
  private Future<Licensor> startUp(NodeHsm opened) {
    world = opened;
    membership = new Membership(clusterManager, config.nodeId());
    if (clusterManager != null) {
      LOG.info("joined cluster '{}' as member {} ({}); {} member(s)", clusterManager.getConfig().getClusterName(),
          membership.selfId(), membership.name(), membership.memberIds().size());
      clusterManager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipLog());
    }
    // The database (an embedded PostgreSQL to start, perhaps an orphan to stop first, the
    // migrations) comes up while the HSM and the warm-ups do: a restart is ready sooner.
    Future<Database> started = Database.start(vertx, config).onSuccess(db -> database = db);
    Future<Prepared> prepared = vertx.executeBlocking(this::prepare);
    return prepared
        .compose(p -> HsmFeature.start(vertx, opened, config, metrics))
        .compose(h -> {
          hsm = h;
          return started;
        })
        .compose(db -> AuditFeature.start(vertx, db, hsm.client(), config, metrics))
        .compose(a -> {
          audit = a.log();
          trail = a.trail();
          auditDevices = a.devices();
          assemble(prepared.result());
          return LifecycleFeature.upgradeCustody(tenants, hsm);
        })
        .compose(x -> tenants.lease().start())
        .compose(x -> cluster.start())
        .compose(x -> incidents.deploy(vertx))
        .compose(x -> HttpFeature.deploy(vertx, config, auth, routes, port, prepared.result().certificate(),
            prepared.result().tlsEngine()))
        .map(id -> {
          httpDeployment = id;
          ServerCertificate certificate = prepared.result().certificate();
          if (certificate != null) {
            LOG.info("HTTPS certificate {}; SHA-256 fingerprint {}; TLS on {}", certificate.description(),
                certificate.fingerprint(), prepared.result().tlsEngine().description());
          } else {
            LOG.warn("plain HTTP (http.plaintext) on loopback {}: for local use only", config.httpHost());
          }
          LOG.info("licensor listening on {}://{}:{} ({} HTTP verticle(s)){}", certificate != null ? "https" : "http",
              config.httpHost(), port.get(), config.httpInstances(),
              config.devEnabled() ? " — DEV MODE: local token issuer enabled" : "");
          return this;
        })
        // a start that failed leaves no database behind (the embedded PostgreSQL is stopped)
        .recover(err -> started.transform(db -> db.succeeded()
            ? db.result().close().transform(x -> Future.<Licensor>failedFuture(err)) : Future.failedFuture(err)));
  }

  /** Builds the features that need no start of their own, from the HSM, the database and the audit trail. */
  private void assemble(Prepared prepared) {
    // no tenant may take an operator issuer; dev mode's local issuer mints for both, tenants bound by tid
    Set<String> reserved = new HashSet<>(prepared.operatorIssuers().keySet());
    reserved.remove(DevIssuer.ISSUER);
    tenants = DirectoryFeature.create(vertx, database.pool(), reserved, config, membership, hsm.client());
    cluster = ClusterFeature.create(vertx, membership, tenants, config, this::nodeFacts);
    // one pool for every fetch of a provider's keys: verifying tokens, and checking an identity as it is registered
    WorkerExecutor keyFetches = vertx.createSharedWorkerExecutor("licensor-identity-keys", 4);
    lifecycle = LifecycleFeature.create(vertx, database.pool(), tenants, hsm, audit, cluster.notices(),
        new IdentityCheck(prepared.remoteKeys(), keyFetches), config);
    incidents = IncidentFeature.create(vertx, database.pool(), tenants, lifecycle, audit, trail, config);
    SigningKeys signingKeys = new SigningKeys(vertx, database.pool(), hsm.client(), tenants.directory(), config.nodeId(),
        config.delegatedSigning(), config.signingKeyLifetimeSeconds(), config.maxLicenseTtlSeconds(), config.hsmTimeoutMs(),
        prepared.crypto().provider())
        .start();
    licensing = new LicensingService(vertx, tenants.directory(), hsm.client(), signingKeys, prepared.crypto(), audit,
        config.defaultLicenseTtlSeconds(), config.maxLicenseTtlSeconds());
    auth = new Auth(new Authenticator(prepared.operatorIssuers(), tenants.directory(), tenants.store(), config.audience(),
        config.clockSkewSeconds(), config.maxTokenLifetimeSeconds(), prepared.crypto().provider(), prepared.remoteKeys(),
        keyFetches));
    routes = HttpFeature.routes(auth, config, tenants, licensing, signingKeys, lifecycle, trail, cluster, incidents, metrics,
        new NodeReadiness(database, hsm, tenants, membership, audit, config.hsmType(), prepared.tlsEngine(), signingKeys,
            incidents.mail()));
  }

  /** This node's facts for the cluster view. */
  private JsonObject nodeFacts() {
    return new JsonObject()
        .put("worldId", hsm.worldId())
        .put("http", config.httpHost() + ":" + port.get())
        .put("hsm", new JsonObject().put("type", config.hsmType()).put("sessions", config.hsmSessions())
            .put("queueDepth", hsm.client().queueDepth()).put("queueCapacity", hsm.client().capacity()));
  }

  /** Logs members joining and leaving. */
  private static final class MembershipLog implements MembershipListener {
    @Override
    public void memberAdded(MembershipEvent event) {
      LOG.info("cluster member joined: {}; {} member(s)", event.getMember().getAddress(), event.getMembers().size());
    }

    @Override
    public void memberRemoved(MembershipEvent event) {
      LOG.warn("cluster member left: {}; {} member(s)", event.getMember().getAddress(), event.getMembers().size());
    }
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
    return hsm.client().stats();
  }

  public String worldId() {
    return world.worldId();
  }

  /** Backup and restore (also used in-process by {@code licensor dr-drill}). */
  public BackupService backup() {
    return lifecycle.backups();
  }

  public LicensingService licensing() {
    return licensing;
  }

  public KeyDirectory directory() {
    return tenants.directory();
  }

  /** The lifecycle service (also the in-process path for imported keys). */
  public KeyLifecycle lifecycle() {
    return lifecycle.keys();
  }

  public AuditLog audit() {
    return audit;
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
    Future<Void> quiet = drained.compose(d -> incidents == null ? Future.<Void>succeededFuture() : incidents.undeploy(vertx))
        .otherwise((Void) null);
    long auditMillis = TimeUnit.SECONDS.toMillis(config.shutdownGraceSeconds());
    Future<Void> flushed = quiet.compose(v -> audit == null ? Future.succeededFuture() : audit.stop(auditMillis))
        // the devices get the last batches, then let go of their file and connection
        .transform(ar -> (auditDevices == null ? Future.<Void>succeededFuture() : auditDevices.close())
            .transform(x -> ar.succeeded() ? Future.<Void>succeededFuture() : Future.<Void>failedFuture(ar.cause())))
        // the lease given up, whatever the audit did: no lifecycle call waits for a node that has stopped
        .transform(ar -> (tenants == null ? Future.<Void>succeededFuture() : tenants.lease().stop())
            .transform(x -> ar.succeeded() ? Future.<Void>succeededFuture() : Future.<Void>failedFuture(ar.cause())));
    CompletableFuture<Void> done = flushed.toCompletionStage().toCompletableFuture()
        .handle((v, err) -> {
          if (err != null) {
            LOG.error("audit records could not be written before stopping: {}", err.toString());
          }
          return null;
        })
        .thenCompose(v -> vertx.close().toCompletionStage())
        .thenRun(() -> {
          if (world != null) {
            world.hsm().close();
          }
          if (metrics != null) {
            metrics.close();
          }
        })
        .thenCompose(v -> database == null ? CompletableFuture.<Void>completedFuture(null)
            : database.closeEmbedded().toCompletionStage())
        .thenRun(() -> LOG.info("licensor stopped"))
        // however the stop went, this process no longer serves the data directory
        .whenComplete((v, err) -> {
          if (dataDirLock != null) {
            dataDirLock.release();
          }
        });
    return Future.fromCompletionStage(done);
  }
}
