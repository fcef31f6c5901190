package io.licensor.cluster;

import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.TenantKeys;
import io.vertx.core.Future;
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
import java.util.List;
import java.util.Optional;

/**
 * Change notices: after a lifecycle change commits, the node that made it tells every other
 * member, over the clustered event bus, to reload the tenant, and waits (up to
 * {@code cluster.noticeTimeoutMs}) for each to confirm it now holds the change. The caller learns
 * which members confirmed ({@link Propagation}). Delivery is best-effort; a member that misses a
 * notice catches up at its next directory sweep.
 */
public final class ChangeNotices {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeNotices.class);

  private final Vertx vertx;
  private final Membership membership;
  private final KeyDirectory directory;
  private final long timeoutMillis;
  private MessageConsumer<JsonObject> consumer;

  public ChangeNotices(Vertx vertx, Membership membership, KeyDirectory directory, long timeoutMillis) {
    this.vertx = vertx;
    this.membership = membership;
    this.directory = directory;
    this.timeoutMillis = timeoutMillis;
  }

  /** Starts answering notices; completes once the registration is known to the cluster. */
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Membership.noticeAddress(membership.selfId()), this::onNotice);
    return consumer.completion();
  }

  private void onNotice(Message<JsonObject> message) {
    String tenantId = message.body().getString("tenant");
    directory.refresh(tenantId).onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(new JsonObject().put("node", membership.name())
            .put("revision", ar.result().map(TenantKeys::revision).orElse(Long.MAX_VALUE)));
      } else {
        // Cannot reload: drop what this node knows, so it reloads (or refuses) before using the tenant again.
        directory.invalidate(tenantId);
        LOG.warn("change notice for tenant {}: reload failed ({}); dropped the cached tenant", tenantId, ar.cause().toString());
        message.reply(new JsonObject().put("node", membership.name()).put("dropped", true));
      }
    });
  }

  /**
   * Tells every other member that the tenant changed (this node has already reloaded it, at
   * {@code revision}) and reports who confirmed.
   */
  public Future<Propagation> announce(String tenantId, long revision) {
    long began = System.nanoTime();
    List<String> others = new ArrayList<>(membership.memberIds());
    others.remove(membership.selfId());
    JsonObject notice = new JsonObject().put("tenant", tenantId).put("revision", revision);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMillis);
    List<Future<Answer>> answers = new ArrayList<>();
    for (String member : others) {
      answers.add(vertx.eventBus().<JsonObject>request(Membership.noticeAddress(member), notice, options)
          .map(reply -> Answer.of(member, reply.body(), revision))
          .otherwise(err -> new Answer(member, null, reasonOf(err))));
    }
    return Future.join(answers).map(x -> {
      List<String> confirmed = new ArrayList<>();
      confirmed.add(membership.name());
      List<Propagation.Unconfirmed> unconfirmed = new ArrayList<>();
      for (Future<Answer> f : answers) {
        Answer a = f.result();
        if (a.reason() == null) {
          confirmed.add(a.name());
        } else {
          unconfirmed.add(new Propagation.Unconfirmed(a.member(), a.reason()));
        }
      }
      Propagation p = new Propagation(revision, confirmed, unconfirmed, directory.refreshMillis() / 1000,
          java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
      if (!p.complete()) {
        LOG.warn("tenant {} revision {}: {} member(s) did not confirm the change: {}; they apply it within {} s",
            tenantId, revision, unconfirmed.size(), unconfirmed, p.boundSeconds());
      }
      return p;
    });
  }

  private static String reasonOf(Throwable err) {
    if (err instanceof ReplyException re) {
      return re.failureType() == ReplyFailure.TIMEOUT ? "timeout"
          : re.failureType() == ReplyFailure.NO_HANDLERS ? "not-listening" : "failed";
    }
    return "failed";
  }

  private record Answer(String member, String name, String reason) {
    static Answer of(String member, JsonObject reply, long revision) {
      String name = Optional.ofNullable(reply.getString("node")).orElse(member);
      if (reply.getBoolean("dropped", false)) {
        return new Answer(member, name, null);
      }
      Long seen = reply.getLong("revision");
      return seen != null && seen >= revision ? new Answer(member, name, null) : new Answer(member, name, "stale");
    }
  }
}
