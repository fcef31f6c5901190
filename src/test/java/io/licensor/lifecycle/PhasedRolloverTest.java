package io.licensor.lifecycle;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes on one database, not clustered: no change notices between them. On 73c5f13 a node whose
 * cache predated a re-key made on the other node published with the old version until its refresh
 * (an hour here), and reloaded only when it met a PL under the new version. With directory leases
 * the re-key returns once the other node has renewed its lease past it: it publishes with the new
 * version when the call returns, and content under the old one licenses on both.
 */
@DisplayName("Two unclustered nodes on one database: a re-key holds on both when the call returns")
class PhasedRolloverTest {

  @Test
  @DisplayName("B, which cached v1, publishes with v2 as soon as A's re-key returned; v1 content licenses on A and B")
  void staleNodeLearnsOfNewVersion() throws Exception {
    Issuer operators = Issuer.rsa("https://operators.test");
    String db = TestDatabase.freshDatabaseUrl();
    Path dirA = Files.createTempDirectory("licensor-a-");
    Path dirB = Files.createTempDirectory("licensor-b-");
    JsonObject base = new JsonObject().put("http", new JsonObject().put("port", 0).put("instances", 1))
        .put("database", new JsonObject().put("url", db))
        .put("keys", new JsonObject().put("refreshSeconds", 3600));
    try (TestNode a = TestNode.start(base.copy().put("dataDir", dirA.toString()).put("node", new JsonObject().put("id", "a")),
        dirA, db, operators)) {
      // both nodes must share the security world: B uses a copy of A's module key
      Files.createDirectories(dirB.resolve("world"));
      Files.copy(dirA.resolve("world/module.key"), dirB.resolve("world/module.key"));
      try (TestNode b = TestNode.start(base.copy().put("dataDir", dirB.toString()).put("node", new JsonObject().put("id", "b")),
          dirB, db, operators)) {
        Issuer idp = a.createTenant("phased", "EC-P256");
        String token = idp.token("u@x.test", List.of());
        JsonObject recipient = RmsClient.publicJwk(RmsClient.recipientKey(false));
        // B caches the tenant at v1, and content is published with it
        assertThat(b.http.get("/v1/tenants/phased/keys/current", token).json().getString("kid")).isEqualTo("phased:1");
        String oldPl = RmsClient.publishOffline(b.http.get("/v1/tenants/phased/keys/current", token).json(),
            RmsClient.plPayload("c", "u@x.test", RmsClient.newContentKey(), KeyLifecycleTest.anyone()));

        Http.Response rekeyed = a.http.post("/v1/tenants/phased/keys/rekey", a.operatorToken(),
            new JsonObject().put("origin", "service").put("algorithm", "EC-P256"));
        assertThat(rekeyed.status()).isEqualTo(201);
        JsonObject propagation = rekeyed.json().getJsonObject("propagation");
        assertThat(propagation.getJsonArray("confirmedByLease").getList()).as(propagation.encode()).containsExactly("b");
        assertThat(b.http.get("/v1/tenants/phased/keys/current", token).json().getString("kid")).isEqualTo("phased:2");

        String newPl = RmsClient.publishOffline(a.http.get("/v1/tenants/phased/keys/current", token).json(),
            RmsClient.plPayload("c", "u@x.test", RmsClient.newContentKey(), KeyLifecycleTest.anyone()));
        Http.Response r = b.http.post("/v1/tenants/phased/licenses", token,
            new JsonObject().put("publishingLicense", newPl).put("recipientKey", recipient));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().getString("kid")).isEqualTo("phased:2");
        assertThat(r.json().getString("currentKid")).isEqualTo("phased:2");
        for (TestNode n : new TestNode[] {a, b}) {
          Http.Response old = n.http.post("/v1/tenants/phased/licenses", token,
              new JsonObject().put("publishingLicense", oldPl).put("recipientKey", recipient));
          assertThat(old.status()).isEqualTo(200);
          assertThat(old.json().getString("kid")).isEqualTo("phased:1");
        }
      }
    }
  }
}
