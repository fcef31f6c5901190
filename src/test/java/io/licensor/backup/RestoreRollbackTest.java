package io.licensor.backup;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The security review's restore finding (issue 17, item 3), over HTTP: restoring an old package with
 * {@code replace=true} deleted every newer key version for good, made the old (perhaps compromised)
 * version active again, reactivated a cancelled tenant, and let the lost version number go to
 * another key. A restore now merges: it never deletes a version, a destroyed one stays destroyed,
 * and a package older than the tenant's last lifecycle change is refused unless forced, and then
 * audited change by change.
 */
@DisplayName("Restoring an old backup never rolls a tenant back behind the operator's back")
class RestoreRollbackTest {

  static ClusterFixture world;
  static TestNode node;

  @BeforeAll
  static void start() {
    world = new ClusterFixture();
    node = start("restore-a");
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

  static JsonObject backup(String tenant) {
    Http.Response r = node.http.get("/v1/tenants/" + tenant + "/backup", op());
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json();
  }

  static Http.Response restore(JsonObject pkg, String query) {
    return node.http.post("/v1/tenants/restore" + query, op(), pkg);
  }

  /** kid → state, as GET /v1/tenants/{tid} shows them. */
  static Map<String, String> states(String tenant) {
    JsonArray keys = node.http.get("/v1/tenants/" + tenant, op()).json().getJsonArray("keys");
    return keys.stream().map(o -> (JsonObject) o)
        .collect(Collectors.toMap(k -> k.getString("kid"), k -> k.getString("state"), (x, y) -> x, TreeMap::new));
  }

  static List<JsonObject> restoreEvents(String tenant) {
    return node.http.get("/v1/tenants/" + tenant + "/audit?limit=1000", op()).json().getJsonArray("events").stream()
        .map(o -> (JsonObject) o).filter(e -> "tenant.restore".equals(e.getString("action"))).toList();
  }

  @Test
  @DisplayName("an old package over a re-keyed tenant is refused 409 backup-outdated, and nothing changes")
  void oldPackageRefused() {
    node.createTenant("roll-a", "EC-P256");
    JsonObject old = backup("roll-a");
    assertThat(Licensing.rekey(node.http, op(), "roll-a").status()).isEqualTo(201);

    Http.Response refused = restore(old, "?replace=true");
    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(refused.slug()).isEqualTo("backup-outdated");
    assertThat(refused.json().getString("detail")).contains("roll-a:2").contains("force=true");
    assertThat(states("roll-a")).containsExactly(Map.entry("roll-a:1", "retained"), Map.entry("roll-a:2", "active"));
    assertThat(node.http.get("/v1/tenants/roll-a/keys/current", op()).json().getString("kid")).isEqualTo("roll-a:2");
  }

  @Test
  @DisplayName("forced, it deletes nothing: the newer version stays (retained), each change is audited, and kids never repeat")
  void forcedRestoreKeepsEveryVersion() {
    Issuer idp = node.createTenant("roll-b", "EC-P256");
    JsonObject old = backup("roll-b");
    assertThat(Licensing.rekey(node.http, op(), "roll-b").status()).isEqualTo(201);
    String bob = idp.token("bob@roll-b.test", List.of());
    JsonObject policy = new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));
    String underV2 = RmsClient.publishOffline(node.http.get("/v1/tenants/roll-b/keys/current", bob).json(),
        RmsClient.plPayload("v2-doc", "alice@roll-b.test", RmsClient.newContentKey(), policy));

    Http.Response forced = restore(old, "?replace=true&force=true");
    assertThat(forced.status()).as(forced.toString()).isEqualTo(200);
    assertThat(states("roll-b")).containsExactly(Map.entry("roll-b:1", "active"), Map.entry("roll-b:2", "retained"));
    // content under the version the package lacked still licenses
    Http.Response license = node.http.post("/v1/tenants/roll-b/licenses", bob, new JsonObject().put("publishingLicense", underV2)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))));
    assertThat(license.status()).as(license.toString()).isEqualTo(200);
    JsonObject event = restoreEvents("roll-b").get(0);
    JsonObject details = event.getJsonObject("detail");
    assertThat(details.getBoolean("forced")).isTrue();
    assertThat(details.getJsonArray("changes").encode()).contains("roll-b:2").contains("roll-b:1");
    // the next re-key takes version 3: a version number never goes down
    Http.Response next = Licensing.rekey(node.http, op(), "roll-b");
    assertThat(next.status()).isEqualTo(201);
    assertThat(states("roll-b")).containsKeys("roll-b:1", "roll-b:2", "roll-b:3").containsEntry("roll-b:3", "active");
  }

  @Test
  @DisplayName("a cancelled tenant stays cancelled, and a destroyed version stays destroyed, whatever an older package says")
  void cancelAndDestroyHold() {
    Issuer idp = node.createTenant("roll-c", "EC-P256");
    assertThat(Licensing.rekey(node.http, op(), "roll-c").status()).isEqualTo(201);
    JsonObject old = backup("roll-c");
    Http.Response destroy = node.http.delete("/v1/tenants/roll-c/keys/1?reason=compromised", op());
    assertThat(destroy.status()).as(destroy.toString()).isEqualTo(204);
    assertThat(node.http.post("/v1/tenants/roll-c/cancel", op(), "{}").status()).isEqualTo(200);

    Http.Response refused = restore(old, "?replace=true");
    assertThat(refused.slug()).isEqualTo("backup-outdated");
    assertThat(node.http.get("/v1/tenants/roll-c", op()).json().getString("state")).isEqualTo("cancelled");

    Http.Response forced = restore(old, "?replace=true&force=true");
    assertThat(forced.status()).as(forced.toString()).isEqualTo(200);
    assertThat(states("roll-c")).containsEntry("roll-c:1", "destroyed");
    assertThat(node.http.get("/v1/tenants/roll-c/jwks.json", null).json().encode()).doesNotContain("roll-c:1");
    assertThat(restoreEvents("roll-c").get(0).encode()).contains("tenant-state");
  }

  @Test
  @DisplayName("a package that would change nothing restores again at any age; one that gives a version number to another key is refused")
  void sameAndConflicting() {
    node.createTenant("roll-d", "EC-P256");
    JsonObject pkg = backup("roll-d");
    assertThat(restore(pkg, "?replace=true").status()).isEqualTo(200);
    assertThat(restore(pkg, "?replace=true").status()).as("again, nothing to change").isEqualTo(200);

    // the same tenant id made on another node of the same world: version 1 there is another key
    try (TestNode other = start("restore-b")) {
      other.createTenant("roll-d", "EC-P256");
      JsonObject foreign = other.http.get("/v1/tenants/roll-d/backup", other.operatorToken()).json();
      Http.Response conflict = restore(foreign, "?replace=true&force=true");
      assertThat(conflict.status()).as(conflict.toString()).isEqualTo(409);
      assertThat(conflict.slug()).isEqualTo("backup-conflict");
    }
    assertThat(states("roll-d")).containsExactly(Map.entry("roll-d:1", "active"));
  }
}
