package io.licensor.faults;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.NodeProcess;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node in its own process, as an operator runs it, stopped the two ways processes stop: SIGTERM
 * (a deployment, a scale-in) drains the requests in progress and writes their audit records before
 * it exits; SIGKILL (a crash, the OOM killer) right after a re-key or cancel answered loses neither.
 */
class ProcessFaultsTest {

  private final Issuer operators = Issuer.rsa("https://operators.test");
  private NodeProcess node;

  private NodeProcess node() throws Exception {
    Path dataDir = Files.createTempDirectory("licensor-faults-");
    int port = ClusterFixture.freePorts(1)[0];
    JsonObject settings = new JsonObject()
        .put("dataDir", dataDir.toString())
        .put("node", new JsonObject().put("id", "faults"))
        .put("http", new JsonObject().put("port", port).put("instances", 1))
        .put("database", new JsonObject().put("url", TestDatabase.freshDatabaseUrl()).put("poolSize", 4));
    node = new NodeProcess("faults-" + port, settings, operators).start().awaitReady(Duration.ofSeconds(120));
    return node;
  }

  private String op() {
    return operators.token("ops@licensor.test", List.of("operator"));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.stop();
    }
  }

  @Test
  @DisplayName("SIGTERM drains: the requests in progress finish with 200, the node exits by itself, and their audit records are kept")
  void sigtermDrains() throws Exception {
    NodeProcess n = node();
    Issuer idp = Licensing.createTenant(n.http, op(), "drain", "RSA-2048");
    String pl = Licensing.publishOk(n.http, "drain", idp, "doc");
    String body = new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))).encode();
    String token = idp.token("bob@drain.test", List.of());
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    int requests = 64;
    AtomicInteger answered = new AtomicInteger();
    AtomicLong terminatedAt = new AtomicLong(Long.MAX_VALUE);
    AtomicInteger answeredAfterTerm = new AtomicInteger();
    List<CompletableFuture<Integer>> sent = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      sent.add(client.sendAsync(HttpRequest.newBuilder(URI.create(n.http.base() + "/v1/tenants/drain/licenses"))
              .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
          .thenApply(r -> {
            answered.incrementAndGet();
            if (System.nanoTime() > terminatedAt.get()) {
              answeredAfterTerm.incrementAndGet();
            }
            return r.statusCode();
          }));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (answered.get() < 4 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    terminatedAt.set(System.nanoTime());
    n.terminate();
    List<Integer> statuses = new ArrayList<>();
    for (CompletableFuture<Integer> f : sent) {
      statuses.add(f.get(30, TimeUnit.SECONDS));
    }
    int exit = n.awaitExit(Duration.ofSeconds(30));
    System.out.printf("SIGTERM with %d requests sent: %d answered after it, statuses %s, exit %d%n", requests,
        answeredAfterTerm.get(), statuses.stream().distinct().toList(), exit);
    assertThat(statuses).as("every request in progress finished").containsOnly(200);
    assertThat(answeredAfterTerm.get()).as("requests were still in progress at SIGTERM").isPositive();
    assertThat(exit).as("stopped by itself, cleanly (143: after SIGTERM, shutdown hooks done)").isIn(0, 143);
    String log = Files.readString(n.log());
    assertThat(log).contains("stopped").doesNotContain(" ERROR ");
    // and no new connection after it
    assertThat(ping(n)).isFalse();

    n.start().awaitReady(Duration.ofSeconds(120));
    JsonObject audit = n.http.get("/v1/tenants/drain/audit?limit=1000", op()).json();
    long issued = audit.getJsonArray("events").stream().filter(e -> "license.issued".equals(((JsonObject) e).getString("action")))
        .count();
    assertThat(issued).as("every license answered has its audit record").isEqualTo(requests);
    assertThat(audit.getBoolean("chainValid")).isTrue();
  }

  @Test
  @DisplayName("a re-key or cancel that answered 2xx survives kill -9 right after the answer")
  void acknowledgedChangesSurviveKillNine() throws Exception {
    NodeProcess n = node();
    Issuer idp = Licensing.createTenant(n.http, op(), "durable", "EC-P256");
    String plV1 = Licensing.publishOk(n.http, "durable", idp, "v1");
    Http.Response rekey = Licensing.rekey(n.http, op(), "durable");
    assertThat(rekey.status()).as(rekey.toString()).isEqualTo(201);
    n.kill9();
    n.start().awaitReady(Duration.ofSeconds(120));
    assertThat(Licensing.currentKid(n.http, "durable", idp)).isEqualTo("durable:2");
    assertThat(Licensing.license(n.http, "durable", idp, plV1).status()).as("retained version licenses").isEqualTo(200);

    Http.Response cancel = n.http.post("/v1/tenants/durable/cancel", op(), new JsonObject());
    assertThat(cancel.status()).as(cancel.toString()).isBetween(200, 204);
    n.kill9();
    n.start().awaitReady(Duration.ofSeconds(120));
    Http.Response refused = Licensing.license(n.http, "durable", idp, plV1);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.slug()).isEqualTo("subscription-cancelled");
  }

  private static boolean ping(NodeProcess n) {
    try {
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build().send(
          HttpRequest.newBuilder(URI.create(n.http.base() + "/health/live")).timeout(Duration.ofSeconds(3)).build(),
          HttpResponse.BodyHandlers.ofString());
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
