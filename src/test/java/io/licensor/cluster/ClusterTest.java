package io.licensor.cluster;

import io.licensor.config.ConfigLoader;
import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.licensor.support.TestTime;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clustered nodes in one JVM, each with its own clustered Vert.x, talking over loopback Hazelcast
 * and the clustered event bus, sharing one PostgreSQL: change notices, cluster-wide serialised
 * re-keys, the cluster view, and a node that misses every notice (a member of another cluster on
 * the same database) converging within its refresh period. The same behaviour across separate
 * JVM processes, with kill -9, is in {@link ClusterProcessTest}.
 */
@DisplayName("Clustered nodes agree on tenant keys")
class ClusterTest {

  /** A and B refresh only every minute: anything they learn sooner came by a change notice. */
  static final int SLOW_REFRESH_SECONDS = 60;
  /** D is partitioned from A and B's event bus and refreshes every 2 s: its rollover window. */
  static final int PARTITIONED_REFRESH_SECONDS = 2;

  static ClusterFixture cluster;
  static TestNode a;
  static TestNode b;
  static TestNode d;

  @BeforeAll
  static void start() throws Exception {
    cluster = new ClusterFixture();
    int[] ports = ClusterFixture.freePorts(3);
    String members = ClusterFixture.members(ports[0], ports[1]);
    CompletableFuture<TestNode> startA = CompletableFuture.supplyAsync(() -> node("a", cluster.clusterName, ports[0], members,
        SLOW_REFRESH_SECONDS));
    CompletableFuture<TestNode> startB = CompletableFuture.supplyAsync(() -> node("b", cluster.clusterName, ports[1], members,
        SLOW_REFRESH_SECONDS));
    a = startA.get(TestTime.scaledMillis(120_000), TimeUnit.MILLISECONDS);
    b = startB.get(TestTime.scaledMillis(120_000), TimeUnit.MILLISECONDS);
    d = node("d", cluster.clusterName + "-other", ports[2], ClusterFixture.members(ports[2]), PARTITIONED_REFRESH_SECONDS);
  }

  static TestNode node(String name, String clusterName, int port, String members, int refreshSeconds) {
    var dir = cluster.dataDir(name);
    return TestNode.start(cluster.settings(name, dir, 0, clusterName, port, members, refreshSeconds).put("http",
        new JsonObject().put("port", 0).put("instances", 2)), dir, cluster.databaseUrl, cluster.operators);
  }

  @AfterAll
  static void stop() {
    for (TestNode n : new TestNode[] {d, b, a}) {
      if (n != null) {
        assertThat(n.eventLoopWarnings()).as("event loop blocked on " + n.http).isEmpty();
        n.close();
      }
    }
  }

  static String op() {
    return a.operatorToken();
  }

  static Http.Response rekey(TestNode n, String tenant) {
    return Licensing.rekey(n.http, op(), tenant);
  }

  @Test
  @DisplayName("a re-key on A reaches B by change notice: B publishes with it and licenses its content at once")
  void rekeyReachesTheOtherNodeAtOnce() {
    Issuer idp = a.createTenant("notice", "EC-P256");
    String before = Licensing.publishOk(a.http, "notice", idp, "before");
    assertThat(Licensing.currentKid(b.http, "notice", idp)).isEqualTo("notice:1"); // B caches version 1

    Http.Response rekeyed = rekey(a, "notice");
    assertThat(rekeyed.status()).as(rekeyed.toString()).isEqualTo(201);
    JsonObject propagation = rekeyed.json().getJsonObject("propagation");
    assertThat(propagation.getBoolean("complete")).as(propagation.encode()).isTrue();
    assertThat(propagation.getJsonArray("confirmed").getList()).contains("a", "b");
    assertThat(propagation.getJsonArray("confirmedByLease").getList()).as("B answered the notice").doesNotContain("b");
    assertThat(rekeyed.header("Licensor-Propagation")).contains("complete");

    // B's sweep runs only every minute: the notice told it.
    assertThat(Licensing.currentKid(b.http, "notice", idp)).isEqualTo("notice:2");
    String after = Licensing.publishOk(a.http, "notice", idp, "after");
    assertThat(Licensing.license(b.http, "notice", idp, after).status()).isEqualTo(200);
    assertThat(Licensing.license(b.http, "notice", idp, before).status()).isEqualTo(200);

    Http.Response view = b.http.get("/v1/cluster?tenant=notice", op());
    assertThat(view.status()).as(view.toString()).isEqualTo(200);
    JsonObject rollover = view.json().getJsonObject("rollover").getJsonObject("notice");
    assertThat(rollover.getString("activeKid")).isEqualTo("notice:2");
    assertThat(rollover.getBoolean("complete")).as(view.body()).isTrue();
    assertThat(rollover.getJsonObject("publishing").getMap()).containsOnlyKeys("a", "b").containsValues("notice:2");
    JsonArray members = view.json().getJsonArray("members");
    assertThat(members).hasSize(2);
    for (int i = 0; i < members.size(); i++) {
      JsonObject m = members.getJsonObject(i);
      assertThat(m.getBoolean("reachable")).isTrue();
      assertThat(m.getJsonObject("hsm").getInteger("queueDepth")).isNotNull();
      assertThat(m.getString("worldId")).isEqualTo(a.node.worldId());
    }
  }

  @Test
  @DisplayName("cancel on A: B refuses licensing and publishing as soon as the call has returned; destroy reaches B's HSM")
  void cancelAndDestroyTakeEffectOnTheOtherNode() {
    Issuer idp = a.createTenant("revoked", "EC-P256");
    String pl = Licensing.publishOk(b.http, "revoked", idp, "doc");
    assertThat(Licensing.license(b.http, "revoked", idp, pl).status()).isEqualTo(200); // B holds the key now

    Http.Response cancelled = a.http.post("/v1/tenants/revoked/cancel", op(), "");
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    assertThat(cancelled.json().getJsonObject("propagation").getBoolean("complete")).isTrue();
    Http.Response refused = Licensing.license(b.http, "revoked", idp, pl);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.slug()).isEqualTo("subscription-cancelled");
    assertThat(Licensing.publish(b.http, "revoked", idp, "new").slug()).isEqualTo("subscription-cancelled");

    // Destroy (allowed once cancelled) on A; reactivated, the content under it is gone on B as well.
    assertThat(a.http.delete("/v1/tenants/revoked/keys/1?reason=customer-request", op()).status()).isEqualTo(204);
    // its only version destroyed, the tenant comes back only with a new key
    assertThat(a.http.post("/v1/tenants/revoked/reactivate", op(), "").slug()).isEqualTo("no-active-key");
    Http.Response reactivated = a.http.post("/v1/tenants/revoked/reactivate", op(),
        new JsonObject().put("key", new JsonObject().put("algorithm", "EC-P256")));
    assertThat(reactivated.status()).as(reactivated.toString()).isEqualTo(200);
    Http.Response gone = Licensing.license(b.http, "revoked", idp, pl);
    assertThat(gone.status()).as(gone.toString()).isEqualTo(410);
    assertThat(gone.slug()).isEqualTo("key-destroyed");
  }

  @Test
  @DisplayName("a tenant's identity changed on A (its IdP's old key removed): B refuses the old key's tokens as soon as the call has returned")
  void identityChangeTakesEffectOnTheOtherNode() {
    Issuer oldKey = a.createTenant("rotated", "EC-P256");
    Issuer newKey = Issuer.ec(oldKey.issuer());
    String pl = Licensing.publishOk(b.http, "rotated", oldKey, "doc");
    String oldToken = oldKey.token("bob@rotated.test", List.of());
    String body = new JsonObject().put("publishingLicense", pl).put("recipientKey",
        io.licensor.support.RmsClient.publicJwk(io.licensor.support.RmsClient.recipientKey(false))).encode();
    assertThat(b.http.post("/v1/tenants/rotated/licenses", oldToken, body).status()).isEqualTo(200); // B verified it

    Http.Response read = b.http.get("/v1/tenants/rotated", op());
    Http.Response changed = a.http.send("PATCH", "/v1/tenants/rotated", op(),
        new JsonObject().put("identity", new JsonObject().put("issuer", oldKey.issuer()).put("jwks", newKey.jwks())).encode(),
        Map.of("If-Match", read.header("ETag").orElseThrow()));
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
    assertThat(changed.json().getJsonObject("propagation").getBoolean("complete")).isTrue();

    // B refreshes only every minute: the notice told it.
    Http.Response refused = b.http.post("/v1/tenants/rotated/licenses", oldToken, body);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
    assertThat(Licensing.license(b.http, "rotated", newKey, pl).status()).isEqualTo(200);
    assertThat(b.http.get("/v1/tenants/rotated", op()).header("ETag")).isEqualTo(changed.header("ETag"));
  }

  @Test
  @DisplayName("a document revoked on A: B refuses its licenses as soon as the call has returned, and licenses it again once un-revoked")
  void documentRevocationTakesEffectOnTheOtherNode() {
    Issuer idp = a.createTenant("docs", "EC-P256");
    String pl = Licensing.publishOk(b.http, "docs", idp, "contract");
    assertThat(Licensing.license(b.http, "docs", idp, pl).status()).isEqualTo(200); // B holds the tenant now
    Http.Response revoked = a.http.send("PUT", "/v1/tenants/docs/documents/contract/revocation", op(), "{}");
    assertThat(revoked.status()).as(revoked.toString()).isEqualTo(200);
    assertThat(revoked.json().getJsonObject("propagation").getBoolean("complete")).isTrue();
    // B refreshes only every minute: the notice told it
    assertThat(Licensing.license(b.http, "docs", idp, pl).slug()).isEqualTo("content-revoked");
    assertThat(a.http.send("DELETE", "/v1/tenants/docs/documents/contract/revocation", op(), "{}").status()).isEqualTo(200);
    assertThat(Licensing.license(b.http, "docs", idp, pl).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("a template changed on A: B licenses its content by the new template as soon as the call has returned; "
      + "archived on A, B refuses new publishing with it")
  void templateChangeTakesEffectOnTheOtherNode() {
    Issuer idp = a.createTenant("templated", "EC-P256");
    Http.Response created = a.http.post("/v1/tenants/templated/templates", op(), new JsonObject().put("name", "Staff")
        .put("grants", new io.vertx.core.json.JsonArray().add(new JsonObject().put("principal", "alice@templated.test")
            .put("rights", new io.vertx.core.json.JsonArray().add("VIEW")))));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String id = created.json().getString("id");
    String alice = idp.token("alice@templated.test", List.of());
    Http.Response published = b.http.post("/v1/tenants/templated/publishing-licenses", alice, new JsonObject()
        .put("contentId", "handbook").put("policy", new JsonObject().put("template", id))
        .put("contentKey", io.licensor.support.RmsClient.b64(io.licensor.support.RmsClient.newContentKey())));
    assertThat(published.status()).as(published.toString()).isEqualTo(201);
    String pl = published.json().getString("publishingLicense");
    assertThat(Licensing.license(b.http, "templated", idp, pl).status()).as("bob is not in the template yet").isEqualTo(403);

    Http.Response widened = a.http.send("PATCH", "/v1/tenants/templated/templates/" + id, op(), new JsonObject()
        .put("grants", new io.vertx.core.json.JsonArray().add(new JsonObject().put("principal", "*")
            .put("rights", new io.vertx.core.json.JsonArray().add("VIEW")))).encode(), java.util.Map.of("If-Match", "*"));
    assertThat(widened.status()).as(widened.toString()).isEqualTo(200);
    assertThat(widened.json().getJsonObject("propagation").getBoolean("complete")).isTrue();
    // B refreshes only every minute: the notice told it
    assertThat(Licensing.license(b.http, "templated", idp, pl).status()).isEqualTo(200);

    assertThat(a.http.post("/v1/tenants/templated/templates/" + id + "/archive", op(), "{}").status()).isEqualTo(200);
    Http.Response refused = b.http.post("/v1/tenants/templated/publishing-licenses", alice, new JsonObject()
        .put("contentId", "handbook-2").put("policy", new JsonObject().put("template", id))
        .put("contentKey", io.licensor.support.RmsClient.b64(io.licensor.support.RmsClient.newContentKey())));
    assertThat(refused.slug()).isEqualTo("template-archived");
    assertThat(Licensing.license(b.http, "templated", idp, pl).status()).as("its content stays licensable").isEqualTo(200);
  }

  @Test
  @DisplayName("concurrent re-keys of one tenant on A and B get consecutive versions and leave exactly one active")
  void concurrentRekeysAreSerialisedAcrossTheCluster() throws Exception {
    a.createTenant("race", "EC-P256");
    int perNode = 4;
    List<CompletableFuture<Http.Response>> calls = new ArrayList<>();
    for (int i = 0; i < perNode; i++) {
      calls.add(CompletableFuture.supplyAsync(() -> rekey(a, "race")));
      calls.add(CompletableFuture.supplyAsync(() -> rekey(b, "race")));
    }
    List<Integer> versions = new ArrayList<>();
    for (CompletableFuture<Http.Response> c : calls) {
      Http.Response r = c.get(120, TimeUnit.SECONDS);
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
      versions.add(r.json().getInteger("version"));
    }
    assertThat(versions).containsExactlyInAnyOrder(2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(TestDatabase.count(cluster.databaseUrl, "SELECT count(*) FROM key_versions WHERE tenant_id = 'race' AND state = 'active'"))
        .isEqualTo(1);
    assertThat(TestDatabase.text(cluster.databaseUrl, "SELECT version::text FROM key_versions WHERE tenant_id = 'race' AND state = 'active'"))
        .isEqualTo("9");
    JsonObject viewA = a.http.get("/v1/tenants/race", op()).json();
    JsonObject viewB = b.http.get("/v1/tenants/race", op()).json();
    assertThat(viewA.getString("currentKid")).isEqualTo("race:9");
    assertThat(viewB.getString("currentKid")).isEqualTo("race:9");
  }

  @Test
  @DisplayName("a node split into a cluster of its own holds a re-key when the call returns (its lease), and licenses newer content at once")
  void aNodeThatMissedTheNoticeConverges() throws Exception {
    Issuer idp = a.createTenant("partition", "EC-P256");
    assertThat(Licensing.currentKid(d.http, "partition", idp)).isEqualTo("partition:1");
    assertThat(d.http.get("/v1/cluster", op()).json().getInteger("memberCount")).isEqualTo(1); // D is not in A's cluster

    Http.Response rekeyed = rekey(a, "partition");
    long rekeyedAt = System.nanoTime();
    // D, in a cluster of its own on the same database, renewed its lease past the change before the call returned
    JsonObject propagation = rekeyed.json().getJsonObject("propagation");
    assertThat(propagation.getJsonArray("confirmedByLease").getList()).as(propagation.encode()).containsExactly("d");
    String first = Licensing.currentKid(d.http, "partition", idp);
    assertThat(first).as("D serves the change as soon as the call returned").isEqualTo("partition:2");

    // No notice reaches D: its sweep finds the new revision within the refresh period.
    String seen = first;
    while (!seen.equals("partition:2") && System.nanoTime() - rekeyedAt < TimeUnit.SECONDS.toNanos(PARTITIONED_REFRESH_SECONDS + 3)) {
      Thread.sleep(20);
      seen = Licensing.currentKid(d.http, "partition", idp);
    }
    long convergedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - rekeyedAt);
    System.out.printf("partitioned node: publishing with %s right after the re-key, converged %d ms after it "
        + "(refresh period %d s)%n", first, convergedMillis, PARTITIONED_REFRESH_SECONDS);
    assertThat(seen).isEqualTo("partition:2");
    assertThat(convergedMillis).isLessThanOrEqualTo(PARTITIONED_REFRESH_SECONDS * 1000L + 1000);

    // Content under a version D has not heard of yet licenses on D at once: it reloads before it would answer 404.
    assertThat(rekey(a, "partition").status()).isEqualTo(201);
    String fresh = Licensing.publishOk(a.http, "partition", idp, "fresh");
    Http.Response licensed = Licensing.license(d.http, "partition", idp, fresh);
    assertThat(licensed.status()).as(licensed.toString()).isEqualTo(200);
    assertThat(licensed.json().getString("kid")).isEqualTo("partition:3");
  }

  @Test
  @DisplayName("a member that runs no licensor (no lease, serves nothing) is named as unreached; it does not hold the cancel up")
  void anUnconfirmedMemberIsReported() throws Exception {
    Issuer idp = a.createTenant("partial", "EC-P256");
    String pl = Licensing.publishOk(a.http, "partial", idp, "doc");
    // A bare clustered Vert.x joins A and B's cluster: a member that runs no licensor, so it never confirms.
    int[] port = ClusterFixture.freePorts(1);
    var hz = ClusterSetup.hazelcastConfig(ConfigLoader.load(
        cluster.settings("bare", cluster.dataDir("bare"), 0, cluster.clusterName, port[0],
            ClusterFixture.members(port[0], a.node.clusterPort(), b.node.clusterPort()), 60), Map.of()));
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1");
    Vertx bare = Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz)).buildClustered()
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    try {
      Http.Response cancelled = a.http.post("/v1/tenants/partial/cancel", op(), "");
      assertThat(cancelled.status()).isEqualTo(200);
      assertThat(cancelled.header("Licensor-Propagation")).contains("complete");
      JsonObject propagation = cancelled.json().getJsonObject("propagation");
      assertThat(propagation.getBoolean("complete")).isTrue();
      assertThat(propagation.getJsonArray("confirmed").getList()).as(propagation.encode()).containsExactlyInAnyOrder("a", "b", "d");
      assertThat(propagation.getJsonArray("lapsed")).isEmpty();
      assertThat(propagation.getJsonArray("unreached")).hasSize(1);
      assertThat(propagation.getJsonArray("unreached").getJsonObject(0).getString("reason")).isEqualTo("not-listening");
      assertThat(propagation.getLong("elapsedMillis")).as("nothing to wait for").isLessThan(5_000);
      assertThat(Licensing.license(b.http, "partial", idp, pl).slug()).isEqualTo("subscription-cancelled");
    } finally {
      bare.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
