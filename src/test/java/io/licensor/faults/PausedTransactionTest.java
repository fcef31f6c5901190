package io.licensor.faults;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.NodeProcess;
import io.licensor.support.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node paused (SIGSTOP) while one of its transactions is open keeps that transaction's row locks
 * for as long as it is paused, unless PostgreSQL ends the session. Licensing on the paused node
 * writes its key-use records in transactions that lock the tenant's audit-chain head; a cancel of
 * that tenant on another node records itself on the same head. Seen in CI on a loaded machine
 * (FrozenNodeTest): the cancel waited for the frozen node's transaction until the HTTP client gave
 * up at 60 s — the revocation stalled by a paused node. Here the test pauses the node exactly while
 * PostgreSQL shows its session idle inside a transaction that holds an id (it has locked or written
 * rows), and the cancel returns within the session's idle-transaction timeout (the default,
 * {@code database.idleTransactionTimeoutMs}) plus the cluster's bounds; PostgreSQL has ended the
 * paused session before the node runs again, and the node, thawed, loses none of the key-use
 * records of the licenses it answered.
 */
@DisplayName("A node paused inside a transaction does not hold a cancel of its tenant")
class PausedTransactionTest {

  /** The default of database.idleTransactionTimeoutMs, which the nodes here do not set. */
  static final long IDLE_TRANSACTION_TIMEOUT_MS = 5000;

  static ClusterFixture cluster;
  static NodeProcess a;
  static NodeProcess c;

  @BeforeAll
  static void start() {
    cluster = new ClusterFixture();
    int[] hz = ClusterFixture.freePorts(2);
    int[] http = ClusterFixture.freePorts(2);
    String members = ClusterFixture.members(hz);
    a = new NodeProcess("paused-tx-a", cluster.settings("a", cluster.dataDir("a"), http[0], cluster.clusterName, hz[0],
        members, 30), cluster.operators).start();
    c = new NodeProcess("paused-tx-c", cluster.settings("c", cluster.dataDir("c"), http[1], cluster.clusterName, hz[1],
        members, 30), cluster.operators).start();
    a.awaitReady(Duration.ofSeconds(120));
    c.awaitReady(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() {
    for (NodeProcess n : new NodeProcess[] {c, a}) {
      if (n != null) {
        n.thaw();
        n.stop();
      }
    }
  }

  static String op() {
    return cluster.operators.token("ops@licensor.test", List.of("operator"));
  }

  /** C's sessions (by their client ports) idle inside a transaction that holds a transaction id, as PostgreSQL sees them now. */
  static String idleInTransaction() {
    List<Integer> ports = c.connectionPortsTo(URI.create(cluster.databaseUrl).getPort());
    if (ports.isEmpty()) {
      return "";
    }
    return TestDatabase.text(cluster.databaseUrl, "SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity"
        + " WHERE datname = current_database() AND state = 'idle in transaction' AND backend_xid IS NOT NULL"
        + " AND client_port IN (" + ports.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")");
  }

  static long sessionsAmong(String pids) {
    return TestDatabase.count(cluster.databaseUrl, "SELECT count(*) FROM pg_stat_activity WHERE pid IN (" + pids + ")");
  }

  @Test
  @DisplayName("C paused mid-transaction under load: a cancel on A returns within the idle-transaction timeout and the cluster's bounds")
  void cancelIsNotHeldByAPausedTransaction() throws Exception {
    Issuer idp = Licensing.createTenant(a.http, op(), "held", "EC-P256");
    String pl = Licensing.publishOk(a.http, "held", idp, "doc");
    assertThat(Licensing.license(c.http, "held", idp, pl).status()).isEqualTo(200);

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong licensedByC = new AtomicLong();
    ExecutorService load = Executors.newFixedThreadPool(4);
    for (int i = 0; i < 4; i++) {
      load.submit(() -> {
        while (running.get()) {
          try {
            Http.Response r = Licensing.license(c.http, "held", idp, pl);
            if (r.status() == 200) {
              licensedByC.incrementAndGet();
            } else {
              Thread.sleep(20);
            }
          } catch (InterruptedException e) {
            return;
          } catch (RuntimeException e) {
            // no answer (C paused): asked again
          }
        }
      });
    }

    Thread.sleep(2_000);
    assertThat(licensedByC.get()).as("licenses on C before the pause").isPositive();

    // Pause C until it is caught with a transaction open: each try pauses it, looks, and lets it go on if not.
    String stuck = "";
    int tries = 0;
    while (stuck.isEmpty() && tries < 400) {
      tries++;
      Thread.sleep(ThreadLocalRandom.current().nextInt(5, 40));
      c.freeze();
      Thread.sleep(150);
      stuck = idleInTransaction();
      if (stuck.isEmpty()) {
        c.thaw();
      }
    }
    long pausedAt = System.nanoTime();
    System.out.printf("C paused inside a transaction after %d tries (sessions %s)%n", tries, stuck);
    assertThat(stuck).as("C caught inside a transaction within 400 pauses").isNotEmpty();

    long began = System.nanoTime();
    Http.Response cancelled = a.http.post("/v1/tenants/held/cancel", op(), "");
    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    System.out.printf("cancel with C paused mid-transaction took %d ms: %s%n", waitedMillis, cancelled.body());
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    // the paused session's locks go at the idle-transaction timeout; the lifecycle lock may wait for Hazelcast to
    // drop C (10 s without heartbeats); the notice and C's lease bound the announcement
    assertThat(waitedMillis).isLessThan(IDLE_TRANSACTION_TIMEOUT_MS + 10_000 + ClusterFixture.LEASE_MILLIS
        + ClusterFixture.NOTICE_TIMEOUT_MS + 3_000);

    long sinceStop = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedAt);
    if (sinceStop < IDLE_TRANSACTION_TIMEOUT_MS + 2_000) {
      Thread.sleep(IDLE_TRANSACTION_TIMEOUT_MS + 2_000 - sinceStop);
    }
    assertThat(sessionsAmong(stuck)).as("C's paused sessions, ended by PostgreSQL while C is still paused").isZero();

    c.thaw();
    Thread.sleep(8_000);
    running.set(false);
    load.shutdown();
    assertThat(load.awaitTermination(90, TimeUnit.SECONDS)).isTrue();

    Http.Response after = Licensing.license(c.http, "held", idp, pl);
    assertThat(after.status()).as(after.toString()).isEqualTo(403);
    assertThat(after.slug()).isEqualTo("subscription-cancelled");
    // the batch PostgreSQL rolled back is written again: every license C answered has its record
    long recorded = 0;
    for (int i = 0; i < 40; i++) {
      recorded = TestDatabase.count(cluster.databaseUrl, "SELECT count(*) FROM audit_events"
          + " WHERE tenant_id = 'held' AND action = 'license.issued' AND outcome = 'ok' AND node = 'c'");
      if (recorded >= licensedByC.get()) {
        break;
      }
      Thread.sleep(250);
    }
    System.out.printf("C answered %d license(s) with 200; %d license.issued record(s) of C%n", licensedByC.get(), recorded);
    assertThat(recorded).as("key-use records of the licenses C answered").isGreaterThanOrEqualTo(licensedByC.get());
  }
}
