package io.licensor.cluster;

import io.licensor.keys.KeyVersion;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.TenantKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The operator's view of the cluster ({@code GET /v1/cluster}): every member's own view — per
 * tenant the kid it publishes with, its cache age and revision; its HSM queue depth — gathered over
 * the event bus, and for the tenants asked about, whether their rollover is complete (every member
 * publishes with the active version in the database).
 */
public final class ClusterView {

  /** Tenants listed per member when no tenant is named. */
  public static final int DEFAULT_LIMIT = 100;

  private final Vertx vertx;
  private final Membership membership;
  private final KeyDirectory directory;
  private final Supplier<JsonObject> nodeFacts;
  private final long timeoutMillis;
  private MessageConsumer<JsonObject> consumer;

  /** {@code nodeFacts}: this node's HSM, world and other facts, computed on each call. */
  public ClusterView(Vertx vertx, Membership membership, KeyDirectory directory, Supplier<JsonObject> nodeFacts,
                     long timeoutMillis) {
    this.vertx = vertx;
    this.membership = membership;
    this.directory = directory;
    this.nodeFacts = nodeFacts;
    this.timeoutMillis = timeoutMillis;
  }

  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Membership.viewAddress(membership.selfId()), this::onRequest);
    return consumer.completion();
  }

  private void onRequest(Message<JsonObject> message) {
    local(message.body()).onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(ar.result());
      } else {
        message.fail(500, "view failed");
      }
    });
  }

  /**
   * This node's view. With {@code tenants} named, each is looked up as a request would see it
   * (loaded if absent or unconfirmed for too long); otherwise up to {@code limit} cached tenants.
   */
  Future<JsonObject> local(JsonObject request) {
    long now = System.currentTimeMillis();
    JsonArray named = request.getJsonArray("tenants");
    JsonObject view = nodeFacts.get().copy()
        .put("node", membership.name())
        .put("member", membership.selfId());
    long lastSweep = directory.lastSweepMillis();
    view.put("lastSweepAgeMs", lastSweep == 0 ? null : now - lastSweep);
    Map<String, TenantKeys> cached = directory.snapshot();
    view.put("cachedTenants", cached.size());
    if (named == null) {
      int limit = request.getInteger("limit", DEFAULT_LIMIT);
      JsonObject tenants = new JsonObject();
      new TreeMap<>(cached).entrySet().stream().limit(limit)
          .forEach(e -> tenants.put(e.getKey(), tenantView(e.getValue(), now)));
      return Future.succeededFuture(view.put("tenants", tenants).put("truncated", cached.size() > limit));
    }
    List<Future<Optional<TenantKeys>>> lookups = new ArrayList<>();
    for (int i = 0; i < named.size(); i++) {
      lookups.add(directory.get(named.getString(i)));
    }
    return Future.join(lookups).transform(x -> {
      JsonObject tenants = new JsonObject();
      for (int i = 0; i < named.size(); i++) {
        Future<Optional<TenantKeys>> f = lookups.get(i);
        tenants.put(named.getString(i), f.succeeded()
            ? f.result().map(t -> tenantView(t, System.currentTimeMillis())).orElse(new JsonObject().put("exists", false))
            : new JsonObject().put("error", "lookup failed"));
      }
      return Future.succeededFuture(view.put("tenants", tenants).put("truncated", false));
    });
  }

  private static JsonObject tenantView(TenantKeys t, long now) {
    return new JsonObject()
        .put("currentKid", t.active().map(KeyVersion::kid).orElse(null))
        .put("state", t.tenant().state().wireName())
        .put("revision", t.revision())
        .put("cacheAgeMs", Math.max(0, now - t.loadedAtMillis()));
  }

  /**
   * The cluster: each member's view (members that do not answer within the timeout are listed as
   * unreachable) and, for named tenants, the active kid in the database and whether every
   * reachable member publishes with it.
   */
  public Future<JsonObject> cluster(List<String> tenants, int limit) {
    JsonObject request = new JsonObject();
    if (tenants.isEmpty()) {
      request.put("limit", limit);
    } else {
      request.put("tenants", new JsonArray(List.copyOf(tenants)));
    }
    List<String> members = membership.memberIds();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMillis);
    List<Future<JsonObject>> views = new ArrayList<>();
    for (String member : members) {
      Future<JsonObject> view = member.equals(membership.selfId())
          ? local(request)
          : vertx.eventBus().<JsonObject>request(Membership.viewAddress(member), request, options).map(Message::body);
      views.add(view.map(v -> v.put("reachable", true))
          .otherwise(err -> new JsonObject().put("member", member).put("reachable", false)
              .put("error", err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage())));
    }
    List<Future<Optional<TenantKeys>>> truth = tenants.stream().map(directory::refresh).toList();
    return Future.join(Future.join(views), Future.join(truth)).transform(x -> {
      JsonArray memberViews = new JsonArray();
      views.forEach(v -> memberViews.add(v.result()));
      JsonObject rollover = new JsonObject();
      for (int i = 0; i < tenants.size(); i++) {
        String tid = tenants.get(i);
        Future<Optional<TenantKeys>> t = truth.get(i);
        JsonObject entry = new JsonObject();
        if (t.failed()) {
          entry.put("error", "database lookup failed");
        } else if (t.result().isEmpty()) {
          entry.put("exists", false);
        } else {
          String active = t.result().get().active().map(KeyVersion::kid).orElse(null);
          JsonObject publishing = new JsonObject();
          boolean complete = true;
          for (int m = 0; m < memberViews.size(); m++) {
            JsonObject mv = memberViews.getJsonObject(m);
            if (!mv.getBoolean("reachable")) {
              complete = false;
              continue;
            }
            JsonObject tv = mv.getJsonObject("tenants", new JsonObject()).getJsonObject(tid, new JsonObject());
            String kid = tv.getString("currentKid");
            publishing.put(mv.getString("node"), kid);
            complete &= active != null && active.equals(kid);
          }
          entry.put("activeKid", active).put("state", t.result().get().tenant().state().wireName())
              .put("publishing", publishing).put("complete", complete);
        }
        rollover.put(tid, entry);
      }
      JsonObject body = new JsonObject()
          .put("clustered", membership.clustered())
          .put("self", membership.name())
          .put("memberCount", members.size())
          .put("refreshSeconds", directory.refreshMillis() / 1000)
          .put("members", memberViews);
      if (!tenants.isEmpty()) {
        body.put("rollover", rollover);
      }
      return Future.succeededFuture(body);
    });
  }
}
