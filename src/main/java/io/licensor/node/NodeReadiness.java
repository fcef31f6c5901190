package io.licensor.node;

import io.licensor.audit.AuditLog;
import io.licensor.cluster.Membership;
import io.licensor.db.Database;
import io.licensor.delegation.SigningKeys;
import io.licensor.hsm.Pkcs11Hsm;
import io.licensor.hsm.SoftwareHsm;
import io.licensor.http.Readiness;
import io.licensor.mail.Outbox;
import io.licensor.tenants.DirectoryLease;
import io.licensor.tenants.LeaseStore;
import io.licensor.tls.TlsEngines;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Readiness is whether this node can serve licenses: its directory lease runs (its cache is
 * proven current), its HSM answers with its world, and it is still in its cluster. The database
 * is a detail: licensing goes on from the cache while the lease runs (a lease length at most
 * once the database is gone), unless a license needs its audit record written first (durable
 * key-use records, the default). {@code lifecycle} says whether lifecycle operations can run: the
 * database answers and the node is not split from peers whose leases say they are alive.
 */
final class NodeReadiness implements Readiness {

  private final Database database;
  private final HsmFeature hsm;
  private final DirectoryFeature tenants;
  private final Membership membership;
  private final AuditLog audit;
  private final String hsmType;
  private final TlsEngines.Engine tlsEngine;
  private final SigningKeys signingKeys;
  private final Outbox mail;

  /** {@code tlsEngine}: null on plain HTTP. */
  NodeReadiness(Database database, HsmFeature hsm, DirectoryFeature tenants, Membership membership, AuditLog audit,
                String hsmType, TlsEngines.Engine tlsEngine, SigningKeys signingKeys, Outbox mail) {
    this.mail = mail;
    this.tlsEngine = tlsEngine;
    this.signingKeys = signingKeys;
    this.database = database;
    this.hsm = hsm;
    this.tenants = tenants;
    this.membership = membership;
    this.audit = audit;
    this.hsmType = hsmType;
  }

  @Override
  public Future<JsonObject> check() {
    Future<Void> db = database.ping().timeout(2, TimeUnit.SECONDS);
    Future<String> hsmPing = hsm.client().ping().timeout(2, TimeUnit.SECONDS);
    Future<List<LeaseStore.Lease>> peers = tenants.leases().recent().timeout(2, TimeUnit.SECONDS);
    Future<JsonObject> mailStatus = mail.status();
    return Future.join(db, hsmPing, peers, mailStatus).transform(ar -> {
      JsonObject cluster = cluster(peers);
      DirectoryLease lease = tenants.lease();
      JsonObject checks = new JsonObject()
          .put("lease", new JsonObject().put("status", lease.valid() ? "UP" : "DOWN")
              .put("renewedAgoMillis", lease.ageMillis()).put("leaseMillis", lease.leaseMillis())
              .put("epoch", lease.epochApplied()))
          .put("cluster", cluster)
          .put("database", new JsonObject().put("status", db.succeeded() ? "UP" : "DOWN")
              .put("neededForLicensing", audit.keyUseDurable()))
          .put("hsm", hsmDetails(hsmPing.succeeded()))
          .put("world", new JsonObject()
              .put("status", hsmPing.succeeded() && hsm.worldId().equals(hsmPing.result()) ? "UP" : "DOWN")
              .put("sealed", hsm.world().sealedAtRest())
              .put("custody", hsm.world().custody().wireName())
              .put("adminCards", hsm.world().adminCards())
              .put("worldId", hsm.worldId()))
          // informational, never gating: where TLS runs, and this node's delegated signing keys
          .put("tls", tlsEngine == null ? new JsonObject().put("status", "UP").put("engine", "none (plain HTTP)")
              : new JsonObject().put("status", "UP").put("engine", tlsEngine.description())
                  .put("nativeCode", tlsEngine.nativeCode()))
          .put("signing", new JsonObject().put("status", "UP").put("delegated", signingKeys.enabled())
              .put("keysInUse", signingKeys.inUse()))
          // informational: how incident notices leave this node, and whether they are late
          .put("mail", mailStatus.result());
      boolean up = Stream.of("lease", "cluster", "hsm", "world")
          .allMatch(name -> "UP".equals(checks.getJsonObject(name).getString("status")))
          && (!audit.keyUseDurable() || db.succeeded());
      boolean lifecycleUp = up && db.succeeded() && !cluster.getBoolean("split", false);
      return Future.succeededFuture(new JsonObject().put("status", up ? "UP" : "DOWN")
          .put("lifecycle", lifecycleUp ? "UP" : "DOWN").put("checks", checks));
    });
  }

  /** Whether this node is in its cluster, and whether nodes alive by their leases are outside it (a split). */
  private JsonObject cluster(Future<List<LeaseStore.Lease>> peers) {
    JsonObject cluster = new JsonObject().put("status", membership.active() ? "UP" : "DOWN")
        .put("clustered", membership.clustered()).put("node", membership.name());
    if (membership.clustered() && membership.active()) {
      cluster.put("members", membership.memberIds().size());
    }
    if (membership.clustered() && peers.succeeded()) {
      List<String> members = membership.memberIds();
      String self = tenants.lease().leaseId();
      List<String> outside = peers.result().stream()
          .filter(l -> l.live() && !l.leaseId().equals(self) && l.memberId() != null && !members.contains(l.memberId()))
          .map(LeaseStore.Lease::nodeName).toList();
      cluster.put("split", !outside.isEmpty()).put("aliveOutside", new JsonArray(outside));
    }
    return cluster;
  }

  /** The backend, its queue, and on PKCS#11 whether the world's wrapping keys on the token are trusted ones. */
  private JsonObject hsmDetails(boolean answered) {
    JsonObject check = new JsonObject().put("status", answered ? "UP" : "DOWN")
        .put("queueDepth", hsm.client().queueDepth()).put("queueCapacity", hsm.client().capacity())
        .put("type", hsmType);
    if (hsm.world().hsm() instanceof Pkcs11Hsm token) {
      check.put("trustedWrapping", token.trustedWrapping());
    } else if (hsm.world().hsm() instanceof SoftwareHsm software) {
      check.put("provider", software.crypto().description()).put("nativeCode", software.crypto().nativeCode());
    }
    return check;
  }
}
