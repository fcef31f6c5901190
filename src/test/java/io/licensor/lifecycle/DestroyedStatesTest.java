package io.licensor.lifecycle;

import io.licensor.cli.Cli;
import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 22, item 4: destroy, cancel, reactivate and backup agree. Content under a destroyed version
 * is 410 whatever the tenant's state; a tenant whose last version is destroyed comes back only with
 * a new key; a backup keeps destroyed versions as tombstones, so a restore keeps them destroyed;
 * destroying twice says the second time that nothing changed.
 */
@DisplayName("Destroyed versions, cancel, reactivate and backup agree")
class DestroyedStatesTest {

  static ClusterFixture world;
  static TestNode node;

  @BeforeAll
  static void start() {
    world = new ClusterFixture();
    node = start("destroyed-a");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** A node of its own (database and data directory) holding the fixture's security world. */
  static TestNode start(String name) {
    return world.standalone(name);
  }

  static String op() {
    return node.operatorToken();
  }

  static Http.Response destroy(TestNode n, String tenant, int version) {
    return n.http.delete("/v1/tenants/" + tenant + "/keys/" + version + "?reason=customer-request", n.operatorToken());
  }

  @Test
  @DisplayName("content under a destroyed version of a cancelled tenant is 410 key-destroyed, not 403 'until reactivated'")
  void destroyedBeforeCancelled() {
    Issuer idp = node.createTenant("gone-for-good", "EC-P256");
    String pl = Licensing.publishOk(node.http, "gone-for-good", idp, "doc");
    assertThat(node.http.post("/v1/tenants/gone-for-good/cancel", op(), "").status()).isEqualTo(200);
    assertThat(destroy(node, "gone-for-good", 1).status()).isEqualTo(204);
    Http.Response r = Licensing.license(node.http, "gone-for-good", idp, pl);
    assertThat(r.status()).as(r.toString()).isEqualTo(410);
    assertThat(r.slug()).isEqualTo("key-destroyed");
  }

  @Test
  @DisplayName("a tenant whose only version is destroyed is not reactivated without a new key (409); with one it publishes again")
  void reactivateNeedsAKey() {
    Issuer idp = node.createTenant("phoenix", "EC-P256");
    assertThat(node.http.post("/v1/tenants/phoenix/cancel", op(), "").status()).isEqualTo(200);
    assertThat(destroy(node, "phoenix", 1).status()).isEqualTo(204);

    Http.Response bare = node.http.post("/v1/tenants/phoenix/reactivate", op(), "");
    assertThat(bare.status()).as(bare.toString()).isEqualTo(409);
    assertThat(bare.slug()).isEqualTo("no-active-key");
    assertThat(bare.json().getString("detail")).contains("--algorithm");
    assertThat(node.http.get("/v1/tenants/phoenix", op()).json().getString("state")).isEqualTo("cancelled");

    Cli.Result cli = new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port()).with("LICENSOR_TOKEN", op())
        .run("tenant", "reactivate", "phoenix", "--algorithm", "EC-P384");
    assertThat(cli.exitCode()).as(cli.toString()).isZero();
    JsonObject tenant = node.http.get("/v1/tenants/phoenix", op()).json();
    assertThat(tenant.getString("state")).isEqualTo("active");
    assertThat(tenant.getString("currentKid")).isEqualTo("phoenix:2");
    assertThat(Licensing.publish(node.http, "phoenix", idp, "reborn").status()).isEqualTo(201);

    Http.Response extra = node.http.post("/v1/tenants/phoenix/reactivate", op(),
        new JsonObject().put("key", new JsonObject().put("algorithm", "EC-P256")));
    assertThat(extra.status()).as("a key given to a tenant that has one").isEqualTo(400);
    assertThat(node.http.get("/v1/tenants/phoenix", op()).json().getJsonArray("keys")).hasSize(2);
  }

  @Test
  @DisplayName("destroying twice: 204 both times, the second says already-destroyed, and the CLI says nothing changed")
  void destroyTwice() {
    node.createTenant("twice", "EC-P256");
    assertThat(Licensing.rekey(node.http, op(), "twice").status()).isEqualTo(201);
    Http.Response first = destroy(node, "twice", 1);
    assertThat(first.status()).isEqualTo(204);
    assertThat(first.header("Licensor-Outcome")).contains("destroyed");
    Http.Response second = destroy(node, "twice", 1);
    assertThat(second.status()).isEqualTo(204);
    assertThat(second.header("Licensor-Outcome")).contains("already-destroyed");
    Cli.Result cli = new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port()).with("LICENSOR_TOKEN", op())
        .run("tenant", "destroy", "twice", "--key-version", "1", "--reason", "again", "--yes");
    assertThat(cli.exitCode()).as(cli.toString()).isZero();
    assertThat(cli.out()).contains("was already destroyed: nothing changed");
    long destroyRecords = node.http.get("/v1/tenants/twice/audit?limit=100", op()).json().getJsonArray("events").stream()
        .filter(e -> "key.destroy".equals(((JsonObject) e).getString("action"))).count();
    assertThat(destroyRecords).isEqualTo(1);
  }

  @Test
  @DisplayName("a backup keeps destroyed versions as tombstones: restored elsewhere, and over an older copy, they stay destroyed")
  void backupKeepsTombstones() {
    Issuer idp = node.createTenant("tomb", "EC-P256");
    String v1Content = Licensing.publishOk(node.http, "tomb", idp, "under-v1");
    Http.Response older = node.http.get("/v1/tenants/tomb/backup", op());
    assertThat(Licensing.rekey(node.http, op(), "tomb").status()).isEqualTo(201);
    JsonObject beforeDestroy = node.http.get("/v1/tenants/tomb/backup", op()).json();
    assertThat(destroy(node, "tomb", 1).status()).isEqualTo(204);
    JsonObject pkg = node.http.get("/v1/tenants/tomb/backup", op()).json();
    assertThat(pkg.getString("format")).isEqualTo("licensor-backup/2");
    JsonArray keys = pkg.getJsonArray("keys");
    assertThat(keys).hasSize(2);
    JsonObject tombstone = keys.getJsonObject(0);
    assertThat(tombstone.getString("state")).isEqualTo("destroyed");
    assertThat(tombstone.containsKey("token")).isFalse();
    assertThat(tombstone.getJsonObject("publicJwk").containsKey("d")).isFalse();
    assertThat(older.status()).isEqualTo(200);

    try (TestNode b = start("destroyed-b")) {
      // a new cluster: the package creates the tenant with version 1 destroyed, version 2 active
      Http.Response restored = b.http.post("/v1/tenants/restore", b.operatorToken(), pkg);
      assertThat(restored.status()).as(restored.toString()).isEqualTo(201);
      JsonObject there = b.http.get("/v1/tenants/tomb", b.operatorToken()).json();
      assertThat(there.getJsonArray("keys").getJsonObject(0).getString("state")).isEqualTo("destroyed");
      assertThat(there.getString("currentKid")).isEqualTo("tomb:2");
      Http.Response licensed = Licensing.license(b.http, "tomb", idp, v1Content);
      assertThat(licensed.status()).as(licensed.toString()).isEqualTo(410);
      assertThat(Licensing.rekey(b.http, b.operatorToken(), "tomb").json().getString("kid"))
          .as("a number is never given to another key").isEqualTo("tomb:3");

      // a cluster holding the copy from before the destroy: the newer package destroys version 1 there too
      try (TestNode c = start("destroyed-c")) {
        assertThat(c.http.post("/v1/tenants/restore", c.operatorToken(), beforeDestroy).status()).isEqualTo(201);
        assertThat(Licensing.license(c.http, "tomb", idp, v1Content).status()).isEqualTo(200);
        Http.Response merged = c.http.post("/v1/tenants/restore?replace=true", c.operatorToken(), pkg);
        assertThat(merged.status()).as(merged.toString()).isEqualTo(200);
        assertThat(merged.body()).contains("destroyed");
        assertThat(Licensing.license(c.http, "tomb", idp, v1Content).status()).isEqualTo(410);
        assertThat(TestDatabase.count(c.databaseUrl,
            "SELECT count(*) FROM key_versions WHERE tenant_id = 'tomb' AND version = 1 AND key_token IS NULL")).isEqualTo(1);
      }
    }
  }
}
