package io.licensor.cluster;

import io.licensor.tenants.DirectoryLease;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.LeaseStore;
import io.licensor.tenants.TenantKeys;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Change notices: after a lifecycle change commits, the node that made it tells every other
 * member, over the clustered event bus, to reload the tenant, and waits (up to
 * {@code cluster.noticeTimeoutMs}) for each to confirm it now holds the change. Then it makes sure
 * of the nodes the event bus did not reach — paused, partitioned, split into a cluster of their
 * own, which Hazelcast may no longer even count as members: every node that holds a live
 * {@link DirectoryLease} must have applied the change (its lease renewed past the change's epoch)
 * or let its lease lapse. A lease lapses at most a lease length after it was renewed, and no lease
 * renewed after the change commits leaves it out, so the wait ends within a lease length of the
 * commit; after it, no node serves the old state. The caller learns who confirmed and whose lease
 * lapsed ({@link Propagation}).
 */
public final class ChangeNotices {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeNotices.class);

  private final Vertx vertx;
  private final Membership membership;
  private final KeyDirectory directory;
  private final long timeoutMillis;
  private final LeaseStore leases;
  private final DirectoryLease lease;
  private MessageConsumer<JsonObject> consumer;

  /** How much longer than a lease a lifecycle call waits for a silent node's lease to lapse (clock rates, scheduling). */
  static final long LEASE_MARGIN_MILLIS = 500;
  private static final long POLL_MILLIS = 200;

  public ChangeNotices(Vertx vertx, Membership membership, KeyDirectory directory, long timeoutMillis, LeaseStore leases,
                       DirectoryLease lease) {
    this.vertx = vertx;
    this.membership = membership;
    this.directory = directory;
    this.timeoutMillis = timeoutMillis;
    this.leases = leases;
    this.lease = lease;
  }

  /** Starts answering notices; completes once the registration is known to the cluster. */
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Membership.noticeAddress(membership.selfId()), this::onNotice);
    return consumer.completion();
  }

  private void onNotice(Message<JsonObject> message) {
    if (message.body().getBoolean("ping", false)) {
      message.reply(new JsonObject().put("node", membership.name()).put("lease", lease.leaseId()));
      return;
    }
    String tenantId = message.body().getString("tenant");
    directory.refresh(tenantId).onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(new JsonObject().put("node", membership.name()).put("lease", lease.leaseId())
            .put("revision", ar.result().map(TenantKeys::revision).orElse(Long.MAX_VALUE)));
      } else {
        // Cannot reload: drop what this node knows, so it reloads (or refuses) before using the tenant again.
        directory.invalidate(tenantId);
        LOG.warn("change notice for tenant {}: reload failed ({}); dropped the cached tenant", tenantId, ar.cause().toString());
        message.reply(new JsonObject().put("node", membership.name()).put("lease", lease.leaseId()).put("dropped", true));
      }
    });
  }

  /**
   * Opens the event-bus connections to every member before this node says it is ready: the first
   * message to a member otherwise pays for the connection and may miss a notice's timeout.
   */
  public Future<Void> warm() {
    List<String> others = new ArrayList<>(membership.memberIds());
    others.remove(membership.selfId());
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMillis);
    List<Future<?>> pings = new ArrayList<>();
    for (String member : others) {
      pings.add(vertx.eventBus().request(Membership.noticeAddress(member), new JsonObject().put("ping", true), options)
          .otherwiseEmpty());
    }
    return Future.join(pings).mapEmpty();
  }

  /**
   * Tells every other member that the tenant changed (this node has already reloaded it, at
   * {@code revision}), then waits until every node with a live lease has confirmed the change or
   * its lease has lapsed, and reports who did which.
   */
  public Future<Propagation> announce(String tenantId, long revision) {
    long began = System.nanoTime();
    long epoch = directory.cached(tenantId).filter(t -> t.revision() >= revision).map(TenantKeys::changeEpoch)
        .orElse(Long.MAX_VALUE);
    List<String> others = new ArrayList<>(membership.memberIds());
    others.remove(membership.selfId());
    JsonObject notice = new JsonObject().put("tenant", tenantId).put("revision", revision);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMillis);
    List<Future<Answer>> answers = new ArrayList<>();
    for (String member : others) {
      answers.add(vertx.eventBus().<JsonObject>request(Membership.noticeAddress(member), notice, options)
          .map(reply -> Answer.of(member, reply.body(), revision))
          .otherwise(err -> new Answer(member, null, null, reasonOf(err))));
    }
    return Future.join(answers).compose(x -> {
      Set<String> confirmedLeases = new HashSet<>();
      List<String> confirmed = new ArrayList<>();
      confirmed.add(membership.name());
      List<Propagation.Unreached> silent = new ArrayList<>();
      for (Future<Answer> f : answers) {
        Answer a = f.result();
        if (a.reason() == null) {
          confirmed.add(a.name());
          if (a.leaseId() != null) {
            confirmedLeases.add(a.leaseId());
          }
        } else {
          silent.add(new Propagation.Unreached(a.member(), a.reason()));
        }
      }
      long deadline = began + TimeUnit.MILLISECONDS.toNanos(lease.leaseMillis() + LEASE_MARGIN_MILLIS);
      return settleLeases(epoch, confirmedLeases, deadline, new ArrayList<>(),
          new LinkedHashMap<>(), false).map(settled -> {
        confirmed.addAll(settled.confirmed());
        Propagation p = new Propagation(revision, confirmed, settled.confirmed(), settled.lapsed(), silent,
            Math.max(1, lease.leaseMillis() / 1000), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        if (!silent.isEmpty() || !settled.lapsed().isEmpty()) {
          LOG.warn("tenant {} revision {}: not reached by its notice: {}; confirmed through their leases: {}; leases lapsed: {}",
              tenantId, revision, silent, settled.confirmed(), settled.lapsed());
        }
        return p;
      });
    });
  }

  /** Of the leases that did not answer the notice: those that applied the change since, and those that lapsed. */
  private record Settled(List<String> confirmed, List<String> lapsed) {
  }

  /**
   * Polls the live leases until each one not confirmed by its notice has applied {@code epoch}
   * or is gone (lapsed, or given up by a clean stop). At {@code deadline} (a lease length after the
   * change) every lease still unresolved has lapsed by construction: it was last renewed before
   * the change committed.
   */
  private Future<Settled> settleLeases(long epoch, Set<String> answered, long deadline, List<String> confirmed,
                                       Map<String, String> pendingEver, boolean everRead) {
    return leases.recent().transform(ar -> {
      boolean pending = false;
      if (ar.succeeded()) {
        for (LeaseStore.Lease l : ar.result()) {
          if (l.leaseId().equals(lease.leaseId()) || answered.contains(l.leaseId())) {
            continue;
          }
          if (!l.live()) {
            if (l.epochSeen() < epoch) {
              pendingEver.put(l.leaseId(), l.nodeName()); // lapsed without the change: it serves nothing until it has it
            }
          } else if (l.epochSeen() >= epoch) {
            answered.add(l.leaseId());
            if (!confirmed.contains(l.nodeName())) {
              confirmed.add(l.nodeName());
            }
          } else {
            pendingEver.put(l.leaseId(), l.nodeName());
            pending = true;
          }
        }
      }
      boolean read = everRead || ar.succeeded();
      boolean overdue = System.nanoTime() - deadline >= 0;
      if ((ar.succeeded() && !pending) || overdue) {
        List<String> lapsed = new ArrayList<>();
        pendingEver.forEach((id, name) -> {
          if (!answered.contains(id)) {
            lapsed.add(name);
          }
        });
        if (!read) {
          lapsed.add("(leases unreadable: any node's has lapsed by now)");
        }
        return Future.succeededFuture(new Settled(confirmed, lapsed));
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      Promise<Void> later = Promise.promise();
      vertx.setTimer(Math.max(1, Math.min(POLL_MILLIS, left)), t -> later.complete());
      return later.future().compose(v -> settleLeases(epoch, answered, deadline, confirmed, pendingEver, read));
    });
  }

  private static String reasonOf(Throwable err) {
    if (err instanceof ReplyException re) {
      return re.failureType() == ReplyFailure.TIMEOUT ? "timeout"
          : re.failureType() == ReplyFailure.NO_HANDLERS ? "not-listening" : "failed";
    }
    return "failed";
  }

  private record Answer(String member, String name, String leaseId, String reason) {
    static Answer of(String member, JsonObject reply, long revision) {
      String name = Optional.ofNullable(reply.getString("node")).orElse(member);
      String leaseId = reply.getString("lease");
      if (reply.getBoolean("dropped", false)) {
        return new Answer(member, name, leaseId, null);
      }
      Long seen = reply.getLong("revision");
      return seen != null && seen >= revision ? new Answer(member, name, leaseId, null) : new Answer(member, name, leaseId, "stale");
    }
  }
}
