package io.licensor.lifecycle;

import io.licensor.hsm.KeyAlgorithm;
import io.licensor.identity.Principal;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The tenant-key lifecycle through HTTP: re-key, retained versions, cancel, reactivate, destroy. */
@DisplayName("The tenant-key lifecycle")
class KeyLifecycleTest {

  static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    if (node == null) {
      return; // never started (its @BeforeAll failed or was aborted)
    }
    List<String> warnings = node.eventLoopWarnings();
    node.close();
    assertThat(warnings).as("event loops never blocked while serving").isEmpty();
  }

  static JsonObject anyone() {
    return new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));
  }

  static String publishOffline(String tenant, Issuer idp) {
    Http.Response current = node.http.get("/v1/tenants/" + tenant + "/keys/current", idp.token("a@x.test", List.of()));
    assertThat(current.status()).as(current.toString()).isEqualTo(200);
    return RmsClient.publishOffline(current.json(), RmsClient.plPayload("c", "a@x.test", RmsClient.newContentKey(), anyone()));
  }

  static Http.Response license(String tenant, Issuer idp, String pl) {
    return node.http.post("/v1/tenants/" + tenant + "/licenses", idp.token("reader@x.test", List.of()),
        new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))));
  }

  static Http.Response publishOnline(String tenant, Issuer idp) {
    return node.http.post("/v1/tenants/" + tenant + "/publishing-licenses", idp.token("a@x.test", List.of()),
        new JsonObject().put("contentId", "c").put("policy", anyone()).put("contentKey", RmsClient.b64(RmsClient.newContentKey())));
  }

  static Http.Response rekey(String tenant, String token, String algorithm) {
    return node.http.post("/v1/tenants/" + tenant + "/keys/rekey", token,
        new JsonObject().put("origin", "service").put("algorithm", algorithm));
  }

  static String admin(Issuer idp) {
    return idp.token("admin@x.test", List.of("tenant-admin"));
  }

  static String ulKid(String useLicense) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(useLicense.split("\\.")[0]), StandardCharsets.UTF_8))
        .getString("kid");
  }

  @Test
  @DisplayName("after three re-keys, content under every version licenses, each UL signed by its own version")
  void retainedVersionsStillLicenseOldContent() throws Exception {
    Issuer idp = node.createTenant("rk", "RSA-2048");
    List<String> pls = new ArrayList<>();
    pls.add(publishOffline("rk", idp));
    for (int i = 0; i < 3; i++) {
      Http.Response r = rekey("rk", i % 2 == 0 ? admin(idp) : node.operatorToken(), "RSA-2048");
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
      assertThat(r.json().getString("kid")).isEqualTo("rk:" + (i + 2));
      pls.add(i % 2 == 0 ? publishOffline("rk", idp) : publishOnline("rk", idp).json().getString("publishingLicense"));
    }
    JsonObject jwks = node.http.get("/v1/tenants/rk/jwks.json", null).json();
    assertThat(jwks.getJsonArray("keys")).hasSize(4);
    for (int v = 1; v <= 4; v++) {
      Http.Response r = license("rk", idp, pls.get(v - 1));
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.json().getString("kid")).isEqualTo("rk:" + v);
      assertThat(ulKid(r.json().getString("useLicense"))).isEqualTo("rk:" + v);
      assertThat(r.json().getString("currentKid")).isEqualTo("rk:4");
      assertThat(r.header("Licensor-Current-Kid")).contains("rk:4");
      RmsClient.verifyUseLicense(r.json().getString("useLicense"), jwks, "rk");
    }
    assertThat(node.http.get("/v1/tenants/rk/keys/current", idp.token("u@x.test", List.of())).json().getString("kid"))
        .isEqualTo("rk:4");
    JsonArray keys = node.http.get("/v1/tenants/rk", node.operatorToken()).json().getJsonArray("keys");
    assertThat(keys.stream().map(k -> ((JsonObject) k).getString("state")).toList())
        .containsExactly("retained", "retained", "retained", "active");
  }

  @Test
  @DisplayName("a re-key may change algorithm: RSA-2048 to EC-P384, and old RSA content still licenses")
  void rekeyChangesAlgorithm() {
    Issuer idp = node.createTenant("algo", "RSA-2048");
    String rsaPl = publishOffline("algo", idp);
    Http.Response r = rekey("algo", admin(idp), "EC-P384");
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().getString("algorithm")).isEqualTo("EC-P384");
    String ecPl = publishOffline("algo", idp);
    assertThat(license("algo", idp, rsaPl).json().getString("kid")).isEqualTo("algo:1");
    Http.Response ec = license("algo", idp, ecPl);
    assertThat(ec.status()).isEqualTo(200);
    assertThat(ec.json().getString("kid")).isEqualTo("algo:2");
  }

  @Test
  @DisplayName("20 concurrent re-keys give consecutive versions and exactly one active")
  void concurrentRekeysAreSerialised() {
    Issuer idp = node.createTenant("race", "EC-P256");
    // an operator's: a tenant admin's re-keys run one at a time on a node (limits.keyOperationsPerMinute)
    String token = node.operatorToken();
    List<CompletableFuture<Http.Response>> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      all.add(CompletableFuture.supplyAsync(() -> rekey("race", token, "EC-P256")));
    }
    List<Integer> versions = all.stream().map(CompletableFuture::join)
        .peek(r -> assertThat(r.status()).as(r.toString()).isEqualTo(201))
        .map(r -> r.json().getInteger("version")).sorted().toList();
    assertThat(versions).containsExactlyElementsOf(IntStream.rangeClosed(2, 21).boxed().toList());
    JsonArray keys = node.http.get("/v1/tenants/race", token).json().getJsonArray("keys");
    assertThat(keys).hasSize(21);
    assertThat(keys.stream().filter(k -> "active".equals(((JsonObject) k).getString("state"))).count()).isEqualTo(1);
    assertThat(TestDatabase.count(node.databaseUrl,
        "SELECT count(*) FROM key_versions WHERE tenant_id = 'race' AND state = 'active'")).isEqualTo(1);
  }

  @Test
  @DisplayName("cancel stops publishing and licensing at once; reactivate restores both")
  void cancelRevokesAndReactivateRestores() {
    Issuer idp = node.createTenant("revoke", "EC-P256");
    String pl = publishOffline("revoke", idp);
    assertThat(license("revoke", idp, pl).status()).isEqualTo(200);
    Http.Response cancelled = node.http.post("/v1/tenants/revoke/cancel", admin(idp), "");
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    assertThat(cancelled.json().getString("state")).isEqualTo("cancelled");
    assertThat(license("revoke", idp, pl).slug()).isEqualTo("subscription-cancelled");
    assertThat(license("revoke", idp, pl).status()).isEqualTo(403);
    assertThat(publishOnline("revoke", idp).slug()).isEqualTo("subscription-cancelled");
    assertThat(node.http.get("/v1/tenants/revoke/keys/current", idp.token("u@x.test", List.of())).slug())
        .isEqualTo("subscription-cancelled");
    assertThat(rekey("revoke", admin(idp), "EC-P256").slug()).isEqualTo("subscription-cancelled");
    assertThat(node.http.post("/v1/tenants/revoke/cancel", node.operatorToken(), "").status()).isEqualTo(200);
    assertThat(node.http.post("/v1/tenants/revoke/reactivate", admin(idp), "").status()).isEqualTo(403);
    assertThat(node.http.post("/v1/tenants/revoke/reactivate", node.operatorToken(), "").json().getString("state"))
        .isEqualTo("active");
    assertThat(license("revoke", idp, pl).status()).isEqualTo(200);
    assertThat(publishOnline("revoke", idp).status()).isEqualTo(201);
  }

  @Test
  @DisplayName("a destroyed version's content answers 410 forever; the active version of an active tenant cannot be destroyed")
  void destroyedVersionNeverLicensesAgain() {
    Issuer idp = node.createTenant("shred", "RSA-2048");
    String v1 = publishOffline("shred", idp);
    rekey("shred", admin(idp), "RSA-2048");
    String v2 = publishOffline("shred", idp);
    String op = node.operatorToken();
    assertThat(node.http.delete("/v1/tenants/shred/keys/1", op).slug()).isEqualTo("invalid-request");
    assertThat(node.http.delete("/v1/tenants/shred/keys/1?reason=customer+request", admin(idp)).status()).isEqualTo(403);
    Http.Response active = node.http.delete("/v1/tenants/shred/keys/2?reason=oops", op);
    assertThat(active.status()).isEqualTo(409);
    assertThat(active.slug()).isEqualTo("key-active");
    assertThat(node.http.delete("/v1/tenants/shred/keys/9?reason=x", op).slug()).isEqualTo("unknown-key-version");

    assertThat(node.http.delete("/v1/tenants/shred/keys/1?reason=customer+request", op).status()).isEqualTo(204);
    assertThat(node.http.delete("/v1/tenants/shred/keys/1?reason=again", op).status()).isEqualTo(204);
    Http.Response gone = license("shred", idp, v1);
    assertThat(gone.status()).isEqualTo(410);
    assertThat(gone.slug()).isEqualTo("key-destroyed");
    assertThat(license("shred", idp, v2).status()).isEqualTo(200);
    List<String> listed = node.http.get("/v1/tenants/shred/jwks.json", null).json().getJsonArray("keys").stream()
        .map(k -> ((JsonObject) k).getString("kid")).toList();
    // version keys, then delegated signing keys (shred:2.n) of the versions that remain
    assertThat(listed.stream().filter(k -> !k.contains(".")).toList()).containsExactly("shred:2");
    assertThat(listed).noneMatch(k -> k.startsWith("shred:1"));
    JsonObject first = node.http.get("/v1/tenants/shred", op).json().getJsonArray("keys").getJsonObject(0);
    assertThat(first.getString("state")).isEqualTo("destroyed");
    assertThat(first.containsKey("jwk")).isFalse();
    assertThat(TestDatabase.count(node.databaseUrl,
        "SELECT count(*) FROM key_versions WHERE tenant_id = 'shred' AND version = 1 AND key_token IS NULL")).isEqualTo(1);

    // once the tenant is cancelled, its active version can be destroyed too
    node.http.post("/v1/tenants/shred/cancel", op, "");
    assertThat(node.http.delete("/v1/tenants/shred/keys/2?reason=offboarding", op).status()).isEqualTo(204);
  }

  static Principal operatorPrincipal() {
    return new Principal("ops@licensor.test", "https://operators.test", null, Set.of("operator"), Set.of(), true);
  }

  static void importByok(String tenant, KeyAlgorithm algorithm, byte[] pkcs8) throws Exception {
    node.node.lifecycle().rekeyImported(operatorPrincipal(), tenant, algorithm, pkcs8, "test")
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

}
