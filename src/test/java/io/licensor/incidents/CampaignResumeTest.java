package io.licensor.incidents;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.NodeProcess;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A re-key campaign over 10,000 tenants (EC keys, so key generation stays cheap) on a node in its
 * own process: killed with SIGKILL midway and restarted, it resumes and completes, and no tenant is
 * re-keyed twice (every tenant ends with exactly two key versions).
 */
@DisplayName("A campaign over 10,000 tenants survives kill -9 and re-keys each tenant once")
class CampaignResumeTest {

  static final int TENANTS = 10_000;

  @Test
  void campaignResumesAfterKillNine() throws Exception {
    ClusterFixture fixture = new ClusterFixture();
    int port = ClusterFixture.freePorts(1)[0];
    JsonObject settings = fixture.settings("campaign", fixture.dataDir("campaign"), port, "unused", 0, "127.0.0.1", 60)
        .put("cluster", new JsonObject().put("enabled", false))
        .put("incidents", new JsonObject().put("campaignRatePerSecond", 1000).put("campaignConcurrency", 32))
        .put("hsm", new JsonObject().put("queueCapacity", 4096));
    NodeProcess node = new NodeProcess("campaign", settings, fixture.operators).start().awaitReady(Duration.ofSeconds(120));
    try {
      String op = fixture.operators.token("ops@licensor.test", List.of("operator"));
      Issuer idp = Issuer.ec("https://idp.test/bulk");
      long began = System.nanoTime();
      createTenants(node, op, idp);
      System.out.printf("created %d EC-P256 tenants in %.1f s%n", TENANTS, (System.nanoTime() - began) / 1e9);
      assertThat(TestDatabase.count(fixture.databaseUrl, "SELECT count(*) FROM tenants")).isEqualTo(TENANTS);

      Http.Response declared = node.http.post("/v1/incidents", op, new JsonObject().put("type", "key-compromised")
          .put("scope", new JsonObject().put("all", true)).put("summary", "Every tenant key: re-key campaign test"));
      assertThat(declared.status()).as(declared.toString()).isEqualTo(201);
      String id = declared.json().getString("id");
      long campaignStart = System.nanoTime();

      long rekeyed = 0;
      while (rekeyed < TENANTS / 3) {
        Thread.sleep(100);
        rekeyed = node.http.get("/v1/incidents/" + id, op).json().getJsonObject("campaign").getLong("rekeyed");
      }
      double firstRate = rekeyed / ((System.nanoTime() - campaignStart) / 1e9);
      node.kill9();
      long atKill = TestDatabase.count(fixture.databaseUrl,
          "SELECT count(*) FROM campaign_items WHERE incident_id = '" + id + "' AND state = 'done'");
      System.out.printf("killed the node with %d of %d tenants re-keyed (%.0f tenants/s)%n", atKill, TENANTS, firstRate);
      assertThat(atKill).isLessThan(TENANTS);

      node.start().awaitReady(Duration.ofSeconds(120));
      long resumed = System.nanoTime();
      JsonObject view = node.http.get("/v1/incidents/" + id, op).json();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
      while (view.getJsonObject("campaign").getLong("remaining") > 0 && System.nanoTime() < deadline) {
        Thread.sleep(200);
        view = node.http.get("/v1/incidents/" + id, op).json();
      }
      double secondRate = (TENANTS - atKill) / ((System.nanoTime() - resumed) / 1e9);
      System.out.printf("resumed and completed: %s; %.0f tenants/s after the restart%n",
          view.getJsonObject("campaign").encode(), secondRate);
      System.out.printf("items found already re-keyed when resumed (re-keyed before the kill, not recorded): %d%n",
          TestDatabase.count(fixture.databaseUrl, "SELECT count(*) FROM campaign_items WHERE incident_id = '" + id
              + "' AND reason = 'already re-keyed since the incident began'"));
      assertThat(view.getString("state")).isEqualTo("campaign-completed");
      assertThat(view.getJsonObject("campaign").getLong("rekeyed")).isEqualTo(TENANTS);
      assertThat(view.getJsonObject("campaign").getLong("failed")).isZero();
      assertThat(TestDatabase.count(fixture.databaseUrl,
          "SELECT count(*) FROM (SELECT tenant_id FROM key_versions GROUP BY tenant_id HAVING count(*) <> 2) wrong")).isZero();
      assertThat(TestDatabase.count(fixture.databaseUrl, "SELECT count(*) FROM key_versions WHERE state = 'active'"))
          .isEqualTo(TENANTS);
    } finally {
      node.stop();
    }
  }

  private static void createTenants(NodeProcess node, String op, Issuer idp) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    Semaphore window = new Semaphore(32);
    List<CompletableFuture<Integer>> all = new ArrayList<>();
    for (int i = 0; i < TENANTS; i++) {
      String id = String.format("bulk-%05d", i);
      window.acquire();
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort + "/v1/tenants"))
          .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json").header("Authorization", "Bearer " + op)
          .POST(HttpRequest.BodyPublishers.ofString(TestNode.sharedIssuerTenantRequest(id, "EC-P256", idp).encode())).build();
      all.add(client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode)
          .whenComplete((s, e) -> window.release()));
    }
    for (CompletableFuture<Integer> f : all) {
      assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo(201);
    }
  }
}
