package io.licensor.faults;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.NodeProcess;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 18, item 1, as the fault trial ran it on 73c5f13: three node processes, licensing load on
 * one, that one frozen (SIGSTOP) for 15 s — long enough for Hazelcast to drop it from the cluster —
 * a cancel on another meanwhile, then SIGCONT. On 73c5f13 the frozen node came back as a
 * one-member cluster, stayed ready, heard of the cancel only at Hazelcast's merge or its sweep,
 * and issued 1,691 and 9,842 use licenses for the cancelled tenant. Here the cancel returns once
 * the frozen node's lease has lapsed, and the node, thawed, licenses nothing for the tenant: not
 * the requests it had taken before it froze, not those after — save the one answer it may have
 * been writing at the instant it stopped, its checks done and the socket write not yet (CI failed
 * on that twice, one answer each time; see docs/design.md, "Leases").
 */
@DisplayName("A node frozen 15 s under load licenses nothing for a tenant cancelled meanwhile")
class FrozenNodeTest {

  static final long FREEZE_MILLIS = 15_000;

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
      nodes[i] = new NodeProcess("frozen-" + names[i], cluster.settings(names[i], cluster.dataDir(names[i]), http[i],
          cluster.clusterName, hz[i], members, 30), cluster.operators).start();
    }
    a = nodes[0];
    b = nodes[1];
    c = nodes[2];
    for (NodeProcess n : nodes) {
      n.awaitReady(Duration.ofSeconds(120));
    }
  }

  @AfterAll
  static void stop() {
    for (NodeProcess n : new NodeProcess[] {c, b, a}) {
      if (n != null) {
        n.thaw();
        n.stop();
      }
    }
  }

  static String op() {
    return cluster.operators.token("ops@licensor.test", List.of("operator"));
  }

  /**
   * One answer the load got from C: when its request was sent and when the answer arrived, its
   * status (0: no answer), and for a license the second it was signed in (its {@code iat}).
   */
  record Answer(long sentNanos, long receivedNanos, int status, String slug, long issuedAtSeconds) {
  }

  @Test
  @DisplayName("SIGSTOP 15 s, cancel on A, SIGCONT: the cancel waits for C's lease; no 200 from C after it returned")
  void frozenNodeLicensesNothingAfterTheCancel() throws Exception {
    Issuer idp = Licensing.createTenant(a.http, op(), "paused", "EC-P256");
    String pl = Licensing.publishOk(a.http, "paused", idp, "doc");
    assertThat(Licensing.license(c.http, "paused", idp, pl).status()).isEqualTo(200);

    List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService load = Executors.newFixedThreadPool(4);
    for (int i = 0; i < 4; i++) {
      load.submit(() -> {
        while (running.get()) {
          Http.Response r;
          long sent = System.nanoTime();
          try {
            r = Licensing.license(c.http, "paused", idp, pl);
          } catch (RuntimeException e) {
            answers.add(new Answer(sent, System.nanoTime(), 0, null, -1));
            continue;
          }
          long received = System.nanoTime();
          answers.add(r.status() == 200
              ? new Answer(sent, received, 200, null, issuedAt(r.json().getString("useLicense")))
              : new Answer(sent, received, r.status(), r.slug(), -1));
          if (r.status() != 200) {
            try {
              Thread.sleep(20);
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      });
    }
    Thread.sleep(2_000);
    long before;
    synchronized (answers) { // the load threads add while this counts
      before = answers.stream().filter(x -> x.status() == 200).count();
    }
    assertThat(before).as("licenses on C before the freeze").isPositive();

    long frozeAtSeconds = System.currentTimeMillis() / 1000;
    c.freeze();
    long frozeAt = System.nanoTime();
    Thread.sleep(2_000);
    long began = System.nanoTime();
    Http.Response cancelled = a.http.post("/v1/tenants/paused/cancel", op(), "");
    long returned = System.nanoTime();
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    JsonObject propagation = cancelled.json().getJsonObject("propagation");
    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(returned - began);
    System.out.printf("cancel with C frozen took %d ms: %s%n", waitedMillis, propagation.encode());
    assertThat(propagation.getJsonArray("lapsed").getList()).as(propagation.encode()).contains("c");
    // bounded by the lease, or by Hazelcast's failure detection (10 s without heartbeats) when a lock the call needs lives
    // on the frozen member's partitions, plus the notice timeout
    assertThat(waitedMillis).isLessThan(Math.max(ClusterFixture.LEASE_MILLIS, 10_000) + ClusterFixture.NOTICE_TIMEOUT_MS + 3_000);

    Thread.sleep(Math.max(0, FREEZE_MILLIS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozeAt)));
    c.thaw();
    Thread.sleep(8_000);
    running.set(false);
    load.shutdown();
    assertThat(load.awaitTermination(90, TimeUnit.SECONDS)).isTrue();

    List<Answer> after;
    synchronized (answers) {
      after = answers.stream().filter(x -> x.receivedNanos() - returned > 0).toList();
    }
    List<Answer> writing = after.stream().filter(x -> x.status() == 200).toList();
    System.out.printf("after the cancel returned, C answered %d request(s): %d with 200, %s%n", after.size(), writing.size(),
        after.stream().collect(Collectors.groupingBy(x -> x.status() + " " + x.slug(),
            Collectors.counting())));
    assertThat(after).as("C answered again once thawed").isNotEmpty();
    // A request C took after it froze, or any it took before but had not yet given its last look, is refused. The one
    // exception no process can fence: the answer C was writing when SIGSTOP stopped it — its last look at the lease
    // done, the socket write not yet — goes out when C resumes. C has one HTTP event loop, so at most one such answer,
    // for a request sent before the freeze, signed before it.
    assertThat(writing).as("use licenses C issued for the cancelled tenant after the cancel returned, beyond the one answer "
        + "it may have been writing when it froze").hasSizeLessThanOrEqualTo(1)
        .allSatisfy(x -> {
          assertThat(x.sentNanos() - frozeAt).as("its request was sent before the freeze").isNegative();
          assertThat(x.issuedAtSeconds()).as("it was signed before the freeze").isLessThanOrEqualTo(frozeAtSeconds);
        });
    assertThat(after.get(after.size() - 1).slug()).isEqualTo("subscription-cancelled");
    JsonObject ready = c.http.get("/health/ready", op()).json();
    System.out.println("C's readiness after the thaw: " + ready.encode());
  }

  /** The {@code iat} of a use license (a compact JWS), read without verifying it. */
  static long issuedAt(String useLicense) {
    String payload = useLicense.split("\\.")[1];
    return new JsonObject(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8)).getLong("iat");
  }
}
