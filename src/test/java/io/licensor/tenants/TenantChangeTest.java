package io.licensor.tenants;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PATCH /v1/tenants/{tid} through HTTP: display name, admin e-mail and identity change under
 * If-Match (the tenant's ETag, its revision), a stale tag is 412, none is 428; an identity key
 * removed stops its tokens at once, even those the node verified moments before.
 */
@DisplayName("Changing a tenant")
class TenantChangeTest {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static Http.Response patch(String tid, String token, String etag, JsonObject body) {
    return node.http.send("PATCH", "/v1/tenants/" + tid, token, body.encode(),
        etag == null ? Map.of() : Map.of("If-Match", etag));
  }

  private static String etag(String tid) {
    Http.Response r = node.http.get("/v1/tenants/" + tid, node.operatorToken());
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.header("ETag").orElseThrow();
  }

  private static JsonObject identity(String issuer, Issuer... keys) {
    JsonArray all = new JsonArray();
    for (Issuer k : keys) {
      all.addAll(k.jwks().getJsonArray("keys"));
    }
    return new JsonObject().put("issuer", issuer).put("jwks", new JsonObject().put("keys", all));
  }

  private static List<JsonObject> updates(String tid) {
    JsonArray events = node.http.get("/v1/tenants/" + tid + "/audit?limit=100", node.operatorToken()).json()
        .getJsonArray("events");
    List<JsonObject> found = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      if ("tenant.update".equals(events.getJsonObject(i).getString("action"))) {
        found.add(events.getJsonObject(i));
      }
    }
    return found;
  }

  @Test
  @DisplayName("the IdP rotates its signing key: the new key is added, then the old one removed, and its tokens stop at once")
  void identityKeyRotation() {
    String issuer = "https://idp.test/rotating";
    Issuer oldKey = Issuer.ec(issuer);
    Issuer newKey = Issuer.ec(issuer);
    String op = node.operatorToken();
    assertThat(node.http.post("/v1/tenants", op, TestNode.tenantRequest("rotating", "EC-P256", oldKey)).status()).isEqualTo(201);
    String pl = Licensing.publishOk(node.http, "rotating", oldKey, "doc");
    assertThat(Licensing.license(node.http, "rotating", newKey, pl).status()).as("a key the tenant never gave").isEqualTo(401);

    String tag = etag("rotating");
    Http.Response added = patch("rotating", op, tag, new JsonObject().put("identity", identity(issuer, oldKey, newKey)));
    assertThat(added.status()).as(added.toString()).isEqualTo(200);
    assertThat(added.header("ETag").orElseThrow()).isNotEqualTo(tag);
    assertThat(added.json().getJsonObject("propagation").getBoolean("complete")).isTrue();
    assertThat(Licensing.license(node.http, "rotating", newKey, pl).status()).isEqualTo(200);

    // A token of the old key, verified (and so remembered) just before its key is removed.
    String oldToken = oldKey.token("bob@rotating.test", List.of());
    Http.Response before = license("rotating", oldToken, pl);
    assertThat(before.status()).isEqualTo(200);

    Http.Response removed = patch("rotating", op, added.header("ETag").orElseThrow(),
        new JsonObject().put("identity", identity(issuer, newKey)));
    assertThat(removed.status()).as(removed.toString()).isEqualTo(200);
    Http.Response after = license("rotating", oldToken, pl);
    assertThat(after.status()).as("the removed key's token, remembered before the change: " + after).isEqualTo(401);
    assertThat(Licensing.license(node.http, "rotating", newKey, pl).status()).isEqualTo(200);

    List<JsonObject> audited = updates("rotating");
    assertThat(audited).hasSize(2);
    JsonObject detail = audited.get(audited.size() - 1).getJsonObject("detail");
    assertThat(detail.getJsonArray("changed").getList()).containsExactly("identity");
    assertThat(detail.getJsonObject("identity").getJsonObject("to").getJsonArray("jwks").getList())
        .containsExactly(newKey.jwks().getJsonArray("keys").getJsonObject(0).getString("kid"));
    assertThat(audited.get(0).getString("principal")).contains("ops@licensor.test");
  }

  private static Http.Response license(String tid, String token, String pl) {
    return node.http.post("/v1/tenants/" + tid + "/licenses", token, new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", io.licensor.support.RmsClient.publicJwk(io.licensor.support.RmsClient.recipientKey(false))));
  }

  @Test
  @DisplayName("without If-Match 428, with a stale or weak one 412 (carrying the current ETag); neither changes anything")
  void conditional() {
    node.createTenant("guarded", "EC-P256");
    String op = node.operatorToken();
    String tag = etag("guarded");
    JsonObject rename = new JsonObject().put("displayName", "Guarded Ltd");

    Http.Response unconditional = patch("guarded", op, null, rename);
    assertThat(unconditional.status()).as(unconditional.toString()).isEqualTo(428);
    assertThat(unconditional.slug()).isEqualTo("precondition-required");
    assertThat(unconditional.json().getString("detail")).contains("If-Match");

    Http.Response weak = patch("guarded", op, "W/" + tag, rename);
    assertThat(weak.status()).as(weak.toString()).isEqualTo(412);
    Http.Response other = patch("guarded", op, "\"r999999\"", rename);
    assertThat(other.status()).isEqualTo(412);
    assertThat(other.slug()).isEqualTo("precondition-failed");
    assertThat(other.header("ETag")).contains(tag);
    assertThat(patch("guarded", op, "r1", rename).slug()).as("not an entity tag").isEqualTo("invalid-request");
    assertThat(etag("guarded")).as("nothing changed").isEqualTo(tag);
    assertThat(updates("guarded")).isEmpty();

    Http.Response ok = patch("guarded", op, "\"r999999\", " + tag, rename);
    assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
    assertThat(ok.json().getString("displayName")).isEqualTo("Guarded Ltd");
    Http.Response stale = patch("guarded", op, tag, new JsonObject().put("displayName", "Overwritten"));
    assertThat(stale.status()).as("the tag read before the first change").isEqualTo(412);
    assertThat(node.http.get("/v1/tenants/guarded", op).json().getString("displayName")).isEqualTo("Guarded Ltd");

    Http.Response any = patch("guarded", op, "*", new JsonObject().put("adminEmail", "security@guarded.test"));
    assertThat(any.status()).as(any.toString()).isEqualTo(200);
    assertThat(any.json().getString("adminEmail")).isEqualTo("security@guarded.test");
    assertThat(updates("guarded")).hasSize(2);
  }

  @Test
  @DisplayName("two administrators change the tenant from the same ETag at once: one wins, the other gets 412")
  void concurrentChanges() throws Exception {
    node.createTenant("raced", "EC-P256");
    String op = node.operatorToken();
    for (int round = 0; round < 5; round++) {
      String tag = etag("raced");
      List<CompletableFuture<Http.Response>> both = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        JsonObject body = new JsonObject().put("displayName", "Raced " + round + "." + i);
        both.add(CompletableFuture.supplyAsync(() -> patch("raced", op, tag, body)));
      }
      List<Integer> statuses = new ArrayList<>();
      for (CompletableFuture<Http.Response> f : both) {
        statuses.add(f.get().status());
      }
      // the lifecycle lock may also refuse the second outright (503 tenant-busy): never both 200
      assertThat(statuses).as("round " + round).containsOnlyOnce(200);
      assertThat(statuses).as("round " + round).allMatch(s -> s == 200 || s == 412 || s == 503);
    }
  }

  @Test
  @DisplayName("a tenant-admin changes its own tenant, not another's; a user cannot")
  void whoMayChange() {
    Issuer contoso = node.createTenant("contoso-chg", "EC-P256");
    node.createTenant("fabrikam-chg", "EC-P256");
    String admin = contoso.token("admin@contoso-chg.test", List.of("tenant-admin"));
    JsonObject body = new JsonObject().put("adminEmail", "rms-admins@contoso-chg.test");

    Http.Response own = patch("contoso-chg", admin, etag("contoso-chg"), body);
    assertThat(own.status()).as(own.toString()).isEqualTo(200);
    assertThat(updates("contoso-chg").get(0).getString("principal")).contains("admin@contoso-chg.test");

    String otherTag = etag("fabrikam-chg");
    assertThat(patch("fabrikam-chg", admin, otherTag, body).status()).isEqualTo(403);
    Http.Response user = patch("contoso-chg", contoso.token("bob@contoso-chg.test", List.of()), etag("contoso-chg"), body);
    assertThat(user.status()).isEqualTo(403);
    assertThat(etag("fabrikam-chg")).isEqualTo(otherTag);
    assertThat(patch("nobody-here", node.operatorToken(), "*", body).slug()).isEqualTo("tenant-not-found");
  }

  @Test
  @DisplayName("bad changes are 400 or 409 naming the defect, and change nothing")
  void badChanges() {
    Issuer idp = node.createTenant("strict-chg", "EC-P256");
    Issuer taken = node.createTenant("holder-chg", "EC-P256");
    String op = node.operatorToken();
    String tag = etag("strict-chg");
    Map<JsonObject, String> refused = Map.of(
        new JsonObject(), "nothing to change",
        new JsonObject().put("id", "renamed"), "id cannot be changed",
        new JsonObject().put("state", "cancelled"), "cancel",
        new JsonObject().put("color", "blue"), "color is not a member",
        new JsonObject().putNull("displayName"), "displayName is required",
        new JsonObject().put("adminEmail", "not-an-address"), "adminEmail must be an e-mail address",
        new JsonObject().put("identity", new JsonObject().put("issuer", idp.issuer())), "identity",
        new JsonObject().put("identity", identity(node.operators.issuer(), idp)), "operator issuer");
    refused.forEach((body, says) -> {
      Http.Response r = patch("strict-chg", op, tag, body);
      assertThat(r.status()).as(body.encode() + " → " + r).isEqualTo(400);
      assertThat(r.json().getString("detail")).as(body.encode()).contains(says);
    });
    Http.Response shared = patch("strict-chg", op, tag, new JsonObject().put("identity", identity(taken.issuer(), taken)));
    assertThat(shared.status()).as(shared.toString()).isEqualTo(409);
    assertThat(shared.slug()).isEqualTo("issuer-in-use");
    Http.Response notJson = node.http.send("PATCH", "/v1/tenants/strict-chg", op, "{\"displayName\":", Map.of("If-Match", tag));
    assertThat(notJson.status()).isEqualTo(400);

    assertThat(etag("strict-chg")).as("nothing changed").isEqualTo(tag);
    assertThat(updates("strict-chg")).isEmpty();
    assertThat(Licensing.publish(node.http, "strict-chg", idp, "still-works").status()).isEqualTo(201);
  }
}
