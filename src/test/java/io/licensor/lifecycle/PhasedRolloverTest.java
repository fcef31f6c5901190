package io.licensor.lifecycle;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes on one database (not clustered: no change notices between them). A node whose cache
 * predates a re-key made on the other node meets a PL under the new version: it reloads the tenant
 * from the database and licenses instead of answering 404.
 */
@DisplayName("A node with a stale cache refreshes before it answers 404")
class PhasedRolloverTest {

  @Test
  @DisplayName("a version newer than the node knows is looked up in the database")
  void staleNodeLearnsOfNewVersion() throws Exception {
    Issuer operators = Issuer.rsa("https://operators.test");
    String db = io.licensor.support.TestDatabase.freshDatabaseUrl();
    Path dirA = Files.createTempDirectory("licensor-a-");
    Path dirB = Files.createTempDirectory("licensor-b-");
    JsonObject base = new JsonObject().put("http", new JsonObject().put("port", 0).put("instances", 1))
        .put("database", new JsonObject().put("url", db))
        .put("keys", new JsonObject().put("refreshSeconds", 3600));
    try (TestNode a = TestNode.start(base.copy().put("dataDir", dirA.toString()), dirA, db, operators)) {
      // both nodes must share the security world: B uses a copy of A's module key
      Files.createDirectories(dirB.resolve("world"));
      Files.copy(dirA.resolve("world/module.key"), dirB.resolve("world/module.key"));
      try (TestNode b = TestNode.start(base.copy().put("dataDir", dirB.toString()), dirB, db, operators)) {
        Issuer idp = a.createTenant("phased", "EC-P256");
        String token = idp.token("u@x.test", List.of());
        JsonObject recipient = RmsClient.publicJwk(RmsClient.recipientKey(false));
        // B caches the tenant at v1
        assertThat(b.http.get("/v1/tenants/phased/keys/current", token).json().getString("kid")).isEqualTo("phased:1");

        Http.Response rekeyed = a.http.post("/v1/tenants/phased/keys/rekey", a.operatorToken(),
            new JsonObject().put("origin", "service").put("algorithm", "EC-P256"));
        assertThat(rekeyed.status()).isEqualTo(201);
        // B still publishes with v1 within its window; that content licenses
        assertThat(b.http.get("/v1/tenants/phased/keys/current", token).json().getString("kid")).isEqualTo("phased:1");
        String oldPl = RmsClient.publishOffline(b.http.get("/v1/tenants/phased/keys/current", token).json(),
            RmsClient.plPayload("c", "u@x.test", RmsClient.newContentKey(), KeyLifecycleTest.anyone()));
        // content published on A under v2 reaches B
        String newPl = RmsClient.publishOffline(a.http.get("/v1/tenants/phased/keys/current", token).json(),
            RmsClient.plPayload("c", "u@x.test", RmsClient.newContentKey(), KeyLifecycleTest.anyone()));
        Thread.sleep(300);
        Http.Response r = b.http.post("/v1/tenants/phased/licenses", token,
            new JsonObject().put("publishingLicense", newPl).put("recipientKey", recipient));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().getString("kid")).isEqualTo("phased:2");
        assertThat(r.json().getString("currentKid")).isEqualTo("phased:2");
        Http.Response old = a.http.post("/v1/tenants/phased/licenses", token,
            new JsonObject().put("publishingLicense", oldPl).put("recipientKey", recipient));
        assertThat(old.status()).isEqualTo(200);
        assertThat(old.json().getString("kid")).isEqualTo("phased:1");
      }
    }
  }
}
