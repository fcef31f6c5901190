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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node paused (SIGSTOP) inside a request's own transaction — here a document revocation, between
 * its statements — past the database's idle-transaction timeout: PostgreSQL ends the session (SQL
 * state 25P03), and the node, thawed, answers that request 503 with Retry-After (a transient: asked
 * again, it succeeds), not 500 internal-error, and the ended transaction changed nothing. Written to
 * reproduce one 500 seen in a re-key under overload (load-tests/benchmark.sh, SoftHSM2, one core for
 * everything but the HSM); it did not reproduce it — the node already answers this fault 503 — so it
 * stays as the check of that behaviour, and the 500's cause is still unknown.
 */
@DisplayName("A request whose transaction the database ended is a 503, not a 500")
class EndedTransactionTest {

  static final long IDLE_TRANSACTION_TIMEOUT_MS = 2000;

  static ClusterFixture cluster;
  static NodeProcess node;

  @BeforeAll
  static void start() {
    cluster = new ClusterFixture();
    int[] hz = ClusterFixture.freePorts(1);
    int[] http = ClusterFixture.freePorts(1);
    io.vertx.core.json.JsonObject settings = cluster.settings("a", cluster.dataDir("a"), http[0], cluster.clusterName, hz[0],
        ClusterFixture.members(hz), 30);
    settings.getJsonObject("database").put("idleTransactionTimeoutMs", IDLE_TRANSACTION_TIMEOUT_MS);
    node = new NodeProcess("ended-tx", settings, cluster.operators).start();
    node.awaitReady(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.thaw();
      node.stop();
    }
  }

  static String op() {
    return cluster.operators.token("ops@licensor.test", List.of("operator"));
  }

  /** The node's sessions idle inside a revocation's transaction (its last statement the revocation's insert). */
  static String idleInRevocation() {
    List<Integer> ports = node.connectionPortsTo(URI.create(cluster.databaseUrl).getPort());
    if (ports.isEmpty()) {
      return "";
    }
    return TestDatabase.text(cluster.databaseUrl, "SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity"
        + " WHERE datname = current_database() AND state = 'idle in transaction' AND query LIKE '%revoked_documents%'"
        + " AND client_port IN (" + ports.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")");
  }

  @Test
  @DisplayName("paused mid-revocation past the idle-transaction timeout: that revocation is answered 503 with Retry-After, "
      + "and asked again it succeeds")
  void endedTransactionIsRetryable() throws Exception {
    Issuer idp = Licensing.createTenant(node.http, op(), "ended", "EC-P256");
    assertThat(idp).isNotNull();
    String stuck = "";
    CompletableFuture<Http.Response> caught = null;
    String caughtId = null;
    for (int tries = 0; stuck.isEmpty() && tries < 300; tries++) {
      String id = "doc-" + tries;
      CompletableFuture<Http.Response> call = CompletableFuture.supplyAsync(() ->
          node.http.send("PUT", "/v1/tenants/ended/documents/" + id + "/revocation", op(), "{}"));
      Thread.sleep(ThreadLocalRandom.current().nextInt(0, 4));
      node.freeze();
      Thread.sleep(100);
      stuck = idleInRevocation();
      if (stuck.isEmpty()) {
        node.thaw();
        Http.Response r = call.get(60, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.toString()).isIn(200, 503);
      } else {
        caught = call;
        caughtId = id;
      }
    }
    assertThat(stuck).as("the node caught inside a revocation's transaction within 300 pauses").isNotEmpty();
    Thread.sleep(IDLE_TRANSACTION_TIMEOUT_MS + 2_000);
    assertThat(TestDatabase.count(cluster.databaseUrl, "SELECT count(*) FROM pg_stat_activity WHERE pid IN (" + stuck + ")"))
        .as("the paused session, ended by PostgreSQL").isZero();
    node.thaw();

    Http.Response answer = caught.get(60, TimeUnit.SECONDS);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(503);
    assertThat(answer.header("Retry-After")).isPresent();
    assertThat(answer.slug()).isEqualTo("database-unavailable");
    Http.Response again = node.http.send("PUT", "/v1/tenants/ended/documents/" + caughtId + "/revocation", op(), "{}");
    assertThat(again.status()).as(again.toString()).isEqualTo(200);
    assertThat(again.json().getBoolean("changed")).as("the ended transaction revoked nothing").isTrue();
  }
}
