package io.licensor.cluster;

import io.licensor.support.Balancer;
import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.NodeProcess;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three licensor nodes as separate JVM processes ({@code licensor serve --config ...}), clustered
 * over loopback Hazelcast and sharing one PostgreSQL: a re-key reaches every node, a cancel stops
 * licensing on every node before the call returns (or the call names the member it could not
 * reach), concurrent re-keys on different nodes are serialised, and kill -9 of one node under load
 * loses almost nothing; the node restarts and rejoins.
 */
@DisplayName("A three-process cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterProcessTest {

  /** Each node's refresh period: the rollover window for a node that missed a notice. */
  static final int REFRESH_SECONDS = 5;
  /** The steady load of the kill -9 test, across the three nodes: well under what they sustain on 2 cores. */
  static final int LOAD_PER_SECOND = 40;
  static final long WARM_UP_MILLIS = 5_000;
  static final long FREEZE_MILLIS = 3_000;

  static ClusterFixture cluster;
  static NodeProcess a;
  static NodeProcess b;
  static NodeProcess c;

  @BeforeAll
  static void start() {
    cluster = new ClusterFixture();
    int[] hz = ClusterFixture.freePorts(3);
    int[] http = ClusterFixture.freePorts(3);
    String members = ClusterFixture.members(hz);
    String[] names = {"a", "b", "c"};
    NodeProcess[] nodes = new NodeProcess[3];
    for (int i = 0; i < 3; i++) {
      nodes[i] = new NodeProcess(names[i], cluster.settings(names[i], cluster.dataDir(names[i]), http[i],
          cluster.clusterName, hz[i], members, REFRESH_SECONDS), cluster.operators).start();
    }
    a = nodes[0];
    b = nodes[1];
    c = nodes[2];
    for (NodeProcess n : nodes) {
      n.awaitReady(Duration.ofSeconds(120));
    }
    JsonObject view = a.http.get("/v1/cluster", op()).json();
    assertThat(view.getInteger("memberCount")).as(view.encode()).isEqualTo(3);
  }

  @AfterAll
  static void stop() {
    for (NodeProcess n : new NodeProcess[] {c, b, a}) {
      if (n != null) {
        n.stop();
      }
    }
  }

  static String op() {
    return cluster.operators.token("ops@licensor.test", List.of("operator"));
  }

  static Issuer createTenant(NodeProcess n, String id, String algorithm) {
    return Licensing.createTenant(n.http, op(), id, algorithm);
  }

  static Http.Response rekey(NodeProcess n, String tenant) {
    return Licensing.rekey(n.http, op(), tenant);
  }

  @Test
  @Order(1)
  @DisplayName("re-key on A: new content licenses on B at once, old content on C, and every node publishes with the new version")
  void rekeyReachesEveryNode() throws Exception {
    Issuer idp = createTenant(a, "rollover", "RSA-2048");
    String old = Licensing.publishOk(a.http, "rollover", idp, "old");
    for (NodeProcess n : List.of(b, c)) {
      assertThat(Licensing.currentKid(n.http, "rollover", idp)).isEqualTo("rollover:1");
    }

    Http.Response rekeyed = rekey(a, "rollover");
    long returned = System.nanoTime();
    assertThat(rekeyed.status()).as(rekeyed.toString()).isEqualTo(201);
    assertThat(rekeyed.json().getJsonObject("propagation").getJsonArray("confirmed").getList())
        .containsExactlyInAnyOrder("a", "b", "c");
    System.out.printf("re-key on A: B and C confirmed the change %d ms after it committed%n",
        rekeyed.json().getJsonObject("propagation").getLong("elapsedMillis"));

    String fresh = Licensing.publishOk(a.http, "rollover", idp, "fresh");
    Http.Response onB = Licensing.license(b.http, "rollover", idp, fresh);
    assertThat(onB.status()).as(onB.toString()).isEqualTo(200);
    assertThat(onB.json().getString("kid")).isEqualTo("rollover:2");
    Http.Response onC = Licensing.license(c.http, "rollover", idp, old);
    assertThat(onC.status()).as(onC.toString()).isEqualTo(200);
    assertThat(onC.json().getString("kid")).isEqualTo("rollover:1");

    JsonObject rollover = null;
    int views = 0;
    while (System.nanoTime() - returned < TimeUnit.SECONDS.toNanos(REFRESH_SECONDS)) {
      rollover = c.http.get("/v1/cluster?tenant=rollover", op()).json().getJsonObject("rollover").getJsonObject("rollover");
      views++;
      if (rollover.getBoolean("complete")) {
        break;
      }
      Thread.sleep(20);
    }
    long convergedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - returned);
    System.out.printf("rollover complete on every node at cluster view %d, %d ms after the re-key returned (window %d s)%n",
        views, convergedMillis, REFRESH_SECONDS);
    assertThat(rollover.getBoolean("complete")).as(rollover.encode()).isTrue();
    assertThat(rollover.getJsonObject("publishing").getMap()).containsOnlyKeys("a", "b", "c").containsValues("rollover:2");
    for (NodeProcess n : List.of(a, b, c)) {
      assertThat(Licensing.currentKid(n.http, "rollover", idp)).isEqualTo("rollover:2");
    }
  }

  @Test
  @Order(2)
  @DisplayName("cancel on A: once the call has returned, B and C refuse licensing and publishing for the tenant")
  void cancelStopsEveryNode() {
    Issuer idp = createTenant(a, "revoked", "RSA-2048");
    String pl = Licensing.publishOk(a.http, "revoked", idp, "doc");
    for (NodeProcess n : List.of(b, c)) {
      assertThat(Licensing.license(n.http, "revoked", idp, pl).status()).isEqualTo(200);
    }
    Http.Response cancelled = a.http.post("/v1/tenants/revoked/cancel", op(), "");
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    assertThat(cancelled.header("Licensor-Propagation")).contains("complete");
    for (NodeProcess n : List.of(b, c)) {
      Http.Response refused = Licensing.license(n.http, "revoked", idp, pl);
      assertThat(refused.status()).as(n.name + ": " + refused).isEqualTo(403);
      assertThat(refused.slug()).isEqualTo("subscription-cancelled");
      assertThat(Licensing.publish(n.http, "revoked", idp, "new").slug()).isEqualTo("subscription-cancelled");
    }
  }

  @Test
  @Order(3)
  @DisplayName("concurrent re-keys of one tenant sent to A, B and C get consecutive versions; exactly one is active")
  void concurrentRekeys() throws Exception {
    Issuer idp = createTenant(a, "race", "EC-P256");
    List<CompletableFuture<Http.Response>> calls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      for (NodeProcess n : List.of(a, b, c)) {
        calls.add(CompletableFuture.supplyAsync(() -> rekey(n, "race")));
      }
    }
    List<Integer> versions = new ArrayList<>();
    for (CompletableFuture<Http.Response> call : calls) {
      Http.Response r = call.get(120, TimeUnit.SECONDS);
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
      versions.add(r.json().getInteger("version"));
    }
    assertThat(versions).containsExactlyInAnyOrder(2, 3, 4, 5, 6, 7, 8, 9, 10);
    assertThat(TestDatabase.count(cluster.databaseUrl,
        "SELECT count(*) FROM key_versions WHERE tenant_id = 'race' AND state = 'active'")).isEqualTo(1);
    assertThat(TestDatabase.count(cluster.databaseUrl,
        "SELECT count(*) FROM key_versions WHERE tenant_id = 'race' AND state = 'retained'")).isEqualTo(9);
    for (NodeProcess n : List.of(a, b, c)) {
      assertThat(Licensing.currentKid(n.http, "race", idp)).as(n.name).isEqualTo("race:10");
    }
  }

  @Test
  @Order(4)
  @DisplayName("cancel while C is frozen: the call returns once C confirmed or its lease lapsed; from then on C licenses nothing")
  void aFrozenMemberIsNamedAndCatchesUp() throws Exception {
    Issuer idp = createTenant(a, "frozen", "EC-P256");
    String pl = Licensing.publishOk(a.http, "frozen", idp, "doc");
    assertThat(Licensing.license(c.http, "frozen", idp, pl).status()).isEqualTo(200);

    // A 3 s freeze, like a long GC pause: shorter than Hazelcast's 10 s failure detection, so C stays a member.
    c.freeze();
    ScheduledExecutorService thawer = Executors.newSingleThreadScheduledExecutor();
    thawer.schedule(c::thaw, FREEZE_MILLIS, TimeUnit.MILLISECONDS);
    long began = System.nanoTime();
    Http.Response cancelled;
    try {
      cancelled = a.http.post("/v1/tenants/frozen/cancel", op(), "");
    } finally {
      thawer.shutdown();
      thawer.awaitTermination(10, TimeUnit.SECONDS);
    }
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    JsonObject propagation = cancelled.json().getJsonObject("propagation");
    System.out.printf("cancel with C frozen for %d ms took %d ms: %s%n", FREEZE_MILLIS, tookMillis, propagation.encode());
    assertThat(cancelled.header("Licensor-Propagation")).contains("complete");
    // C answered once thawed (by notice, or its lease renewed past the change), or its lease lapsed first
    boolean cConfirmed = propagation.getJsonArray("confirmed").getList().contains("c");
    boolean cLapsed = propagation.getJsonArray("lapsed").getList().contains("c");
    assertThat(cConfirmed || cLapsed).as(propagation.encode()).isTrue();
    assertThat(tookMillis).as("no longer than a lease and its margin, and the notice's own timeout")
        .isLessThan(ClusterFixture.LEASE_MILLIS + 2_000 + ClusterFixture.NOTICE_TIMEOUT_MS);
    assertThat(Licensing.license(b.http, "frozen", idp, pl).slug()).isEqualTo("subscription-cancelled");
    Http.Response onC = Licensing.license(c.http, "frozen", idp, pl);
    assertThat(onC.status()).as("C, right after the call returned: " + onC).isIn(403, 503);
    if (onC.status() == 403) {
      assertThat(onC.slug()).isEqualTo("subscription-cancelled");
    }
  }

  @Test
  @Order(5)
  @DisplayName("kill -9 of one node under steady load: under 0.5% of requests fail, full service within 5 s; the node restarts and rejoins")
  void killNineUnderLoad() throws Exception {
    Issuer idp = createTenant(a, "steady", "RSA-2048");
    createTenant(a, "during", "EC-P256");
    String pl = Licensing.publishOk(a.http, "steady", idp, "steady");
    String token = idp.token("bob@steady.test", List.of());
    String body = new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(true))).encode();

    int ratePerSecond = LOAD_PER_SECOND;
    // A kill loses a fixed handful of requests: those in flight on C and those sent to it while the
    // killed JVM is still exiting (printed: about 150 ms here), before the balancer sees a failure.
    // The share is taken over a 60 s run; at 20 s (800 requests) the 0.5% left a margin of 4
    // requests, less than that handful on a busy 2-core machine.
    long runMillis = 60_000;
    long killAtMillis = 4_000;
    ConcurrentLinkedQueue<CompletableFuture<Balancer.Outcome>> sent = new ConcurrentLinkedQueue<>();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    long killedAt;
    Http.Response rekeyDuring;
    long rekeyMillis;
    try (Balancer balancer = new Balancer(List.of(a.http.base(), b.http.base(), c.http.base()))) {
      // Warm-up at the same rate (JIT), not counted.
      List<CompletableFuture<Balancer.Outcome>> warmUp = new ArrayList<>();
      ScheduledExecutorService warmTicker = Executors.newSingleThreadScheduledExecutor();
      warmTicker.scheduleAtFixedRate(() -> warmUp.add(balancer.post("/v1/tenants/steady/licenses", token, body)),
          0, 1_000_000 / ratePerSecond, TimeUnit.MICROSECONDS);
      Thread.sleep(WARM_UP_MILLIS);
      warmTicker.shutdown();
      warmTicker.awaitTermination(5, TimeUnit.SECONDS);
      CompletableFuture.allOf(warmUp.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      System.out.printf("warm-up: %d of %d requests succeeded%n", warmUp.stream().filter(f -> f.join().ok()).count(), warmUp.size());

      long began = System.nanoTime();
      ticker.scheduleAtFixedRate(() -> sent.add(balancer.post("/v1/tenants/steady/licenses", token, body)),
          0, 1_000_000 / ratePerSecond, TimeUnit.MICROSECONDS);
      Thread.sleep(killAtMillis);
      killedAt = System.nanoTime();
      c.kill9();
      System.out.printf("kill -9: the process had exited %d ms after the signal%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
      Thread.sleep(1_000);
      long t0 = System.nanoTime();
      rekeyDuring = rekey(a, "during");
      rekeyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      Thread.sleep(Math.max(0, runMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began)));
      ticker.shutdown();
      ticker.awaitTermination(5, TimeUnit.SECONDS);
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } finally {
      ticker.shutdownNow();
    }

    List<Balancer.Outcome> outcomes = sent.stream().map(CompletableFuture::join).toList();
    List<Balancer.Outcome> failed = outcomes.stream().filter(o -> !o.ok()).toList();
    long lastFailureAfterKill = failed.stream().mapToLong(o -> o.endNanos() - killedAt).max().orElse(0);
    long afterRecovery = outcomes.stream().filter(o -> o.startNanos() > killedAt + TimeUnit.SECONDS.toNanos(5)).count();
    long[] latencies = outcomes.stream().filter(Balancer.Outcome::ok)
        .mapToLong(o -> TimeUnit.NANOSECONDS.toMicros(o.endNanos() - o.startNanos())).sorted().toArray();
    System.out.printf("kill -9 under load: %d requests at %d/s over 3 nodes, %d failed (%.2f%%), last failure %d ms after "
            + "the kill; p50 %.1f ms, p99 %.1f ms; re-key on A during the failure took %d ms, propagation %s%n",
        outcomes.size(), ratePerSecond, failed.size(), 100.0 * failed.size() / outcomes.size(),
        TimeUnit.NANOSECONDS.toMillis(lastFailureAfterKill), latencies[latencies.length / 2] / 1000.0,
        latencies[(int) (latencies.length * 0.99)] / 1000.0, rekeyMillis,
        rekeyDuring.json().getJsonObject("propagation", new JsonObject()).encode());
    failed.forEach(o -> System.out.printf("  failed on %s: %s (sent %d ms after the kill, ended %d ms after it)%n", o.node(),
        o.error() != null ? o.error() : o.status(), TimeUnit.NANOSECONDS.toMillis(o.startNanos() - killedAt),
        TimeUnit.NANOSECONDS.toMillis(o.endNanos() - killedAt)));

    assertThat(outcomes.size()).isGreaterThan(ratePerSecond * 10);
    assertThat((double) failed.size() / outcomes.size()).isLessThan(0.005);
    assertThat(lastFailureAfterKill).isLessThan(TimeUnit.SECONDS.toNanos(5));
    assertThat(failed).allMatch(o -> o.endNanos() >= killedAt && o.node().equals(c.http.base()));
    assertThat(afterRecovery).isGreaterThan(ratePerSecond * 4L);
    assertThat(rekeyDuring.status()).as(rekeyDuring.toString()).isEqualTo(201);

    // The killed node restarts on the same configuration, rejoins, and serves correctly.
    c.start().awaitReady(Duration.ofSeconds(120));
    // Issue 18, item 5: the first re-key right after the restart holds on the restarted node when the call returns
    // (on 73c5f13 it answered incomplete, and C served the old key on keys/current for up to 6.6 s)
    Http.Response firstAfterRestart = rekey(a, "steady");
    assertThat(firstAfterRestart.status()).as(firstAfterRestart.toString()).isEqualTo(201);
    assertThat(firstAfterRestart.header("Licensor-Propagation")).contains("complete");
    assertThat(Licensing.currentKid(c.http, "steady", idp)).as(firstAfterRestart.json().encode())
        .isEqualTo(firstAfterRestart.json().getString("kid"));
    // the rejoined member answers the view once its event-bus connections are up (on a loaded machine
    // that took longer than the 2 s notice timeout right after readiness: issue 18, item 5)
    JsonObject view = a.http.get("/v1/cluster?tenant=steady", op()).json();
    long viewDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (view.getJsonObject("rollover").getJsonObject("steady").getJsonObject("publishing").size() < 3
        && System.nanoTime() < viewDeadline) {
      Thread.sleep(500);
      view = a.http.get("/v1/cluster?tenant=steady", op()).json();
    }
    assertThat(view.getInteger("memberCount")).as(view.encode()).isEqualTo(3);
    assertThat(view.getJsonObject("rollover").getJsonObject("steady").getJsonObject("publishing").getMap())
        .as(view.encode()).containsOnlyKeys("a", "b", "c");
    Http.Response licensed = c.http.post("/v1/tenants/steady/licenses", token, body);
    assertThat(licensed.status()).as(licensed.toString()).isEqualTo(200);
    Http.Response rekeyAfter = rekey(c, "during");
    assertThat(rekeyAfter.status()).isEqualTo(201);
    assertThat(rekeyAfter.json().getJsonObject("propagation").getJsonArray("confirmed").getList())
        .containsExactlyInAnyOrder("a", "b", "c");
  }
}
