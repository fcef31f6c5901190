package io.licensor.faults;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.NodeProcess;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded default under faults (issue 18, item 4). On 73c5f13 a node killed with -9 left its
 * PostgreSQL running, holding {@code postmaster.pid}; the next start blocked 60 s and failed.
 * Now a restart stops that orphan and is ready at once; and a PostgreSQL killed under a running
 * node is noticed and started again.
 */
@DisplayName("Embedded PostgreSQL: a node killed with -9 restarts at once; a PostgreSQL killed under a node comes back")
class EmbeddedDatabaseFaultsTest {

  private final Issuer operators = Issuer.rsa("https://operators.test");
  private NodeProcess node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.stop();
    }
  }

  private NodeProcess embeddedNode(Path dataDir) {
    int port = ClusterFixture.freePorts(1)[0];
    JsonObject settings = new JsonObject()
        .put("dataDir", dataDir.toString())
        .put("node", new JsonObject().put("id", "embedded"))
        .put("http", new JsonObject().put("port", port).put("instances", 1));
    node = new NodeProcess("embedded-" + port, settings, operators);
    return node;
  }

  private String op() {
    return operators.token("ops@licensor.test", List.of("operator"));
  }

  /** The postmaster of the data directory's embedded PostgreSQL, from its pid file. */
  private static Optional<ProcessHandle> postmaster(Path dataDir) throws Exception {
    Path pidFile = dataDir.resolve("postgres").resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    return ProcessHandle.of(Long.parseLong(Files.readAllLines(pidFile).get(0).trim())).filter(ProcessHandle::isAlive);
  }

  @Test
  @DisplayName("kill -9 leaves the PostgreSQL running; the next start stops it and is ready within 10 s, with every tenant")
  void restartAfterKillNine() throws Exception {
    Path dataDir = Files.createTempDirectory("licensor-embedded-");
    NodeProcess n = embeddedNode(dataDir).start().awaitReady(Duration.ofSeconds(120));
    Issuer idp = Licensing.createTenant(n.http, op(), "orphan", "EC-P256");
    String pl = Licensing.publishOk(n.http, "orphan", idp, "doc");
    ProcessHandle before = postmaster(dataDir).orElseThrow();

    n.kill9();
    assertThat(before.isAlive()).as("the fault: the node's PostgreSQL outlives it").isTrue();

    long started = System.nanoTime();
    n.start().awaitReady(Duration.ofSeconds(60));
    long readyMillis = (System.nanoTime() - started) / 1_000_000;
    System.out.println("restart after kill -9 with an orphaned PostgreSQL: ready in " + readyMillis + " ms");
    assertThat(readyMillis).as("SPEC §8: ready within 10 s of the restart").isLessThan(10_000);
    assertThat(before.isAlive()).as("the orphan was stopped").isFalse();
    Http.Response license = Licensing.license(n.http, "orphan", idp, pl);
    assertThat(license.status()).as(license.toString()).isEqualTo(200);
  }

  @Test
  @DisplayName("a PostgreSQL killed under a running node is started again; licensing and lifecycle work afterwards")
  void postgresKilledUnderTheNode() throws Exception {
    Path dataDir = Files.createTempDirectory("licensor-embedded-");
    NodeProcess n = embeddedNode(dataDir).start().awaitReady(Duration.ofSeconds(120));
    Issuer idp = Licensing.createTenant(n.http, op(), "phoenix", "EC-P256");
    String pl = Licensing.publishOk(n.http, "phoenix", idp, "doc");
    ProcessHandle before = postmaster(dataDir).orElseThrow();
    before.descendants().forEach(ProcessHandle::destroyForcibly);
    before.destroyForcibly();
    before.onExit().get();

    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Optional<ProcessHandle> after = Optional.empty();
    while (System.nanoTime() < deadline) {
      after = postmaster(dataDir).filter(h -> h.pid() != before.pid());
      if (after.isPresent() && n.http.get("/health/ready", op()).json().getJsonObject("checks")
          .getJsonObject("database").getString("status").equals("UP")) {
        break;
      }
      Thread.sleep(200);
    }
    assertThat(after).as("a new PostgreSQL for the data directory; see " + n.log()).isPresent();
    // the pools reconnect: a lifecycle call (a write) and licensing both work
    Http.Response rekey = Licensing.rekey(n.http, op(), "phoenix");
    assertThat(rekey.status()).as(rekey.toString()).isEqualTo(201);
    Http.Response license = Licensing.license(n.http, "phoenix", idp, pl);
    assertThat(license.status()).as(license.toString()).isEqualTo(200);
    assertThat(Files.readString(n.log())).contains("is gone (killed or crashed); starting it again");
  }
}
