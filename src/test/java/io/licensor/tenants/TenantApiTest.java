package io.licensor.tenants;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.keys.EllipticCurves;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Tenant creation and the public key endpoints, through HTTP. */
@DisplayName("Tenants and their keys")
class TenantApiTest {

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

  private static long tenantRows() {
    return TestDatabase.count(node.databaseUrl, "SELECT count(*) FROM tenants") * 1000
        + TestDatabase.count(node.databaseUrl, "SELECT count(*) FROM key_versions");
  }

  @Test
  @DisplayName("an operator creates a tenant; the response and GET show public data only")
  void operatorCreatesTenant() {
    Issuer idp = Issuer.ec("https://idp.test/woodgrove");
    Http.Response created = node.http.post("/v1/tenants", node.operatorToken(), TestNode.tenantRequest("woodgrove", "EC-P384", idp));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.header("Location")).contains("/v1/tenants/woodgrove");
    JsonObject t = created.json();
    assertThat(t.getString("state")).isEqualTo("active");
    assertThat(t.getString("currentKid")).isEqualTo("woodgrove:1");
    JsonObject key = t.getJsonArray("keys").getJsonObject(0);
    assertThat(key.getString("state")).isEqualTo("active");
    assertThat(key.getString("origin")).isEqualTo("service");
    assertThat(key.getJsonObject("jwk").containsKey("d")).isFalse();
    assertThat(created.body()).doesNotContain("kt1.");

    Http.Response asAdmin = node.http.get("/v1/tenants/woodgrove", idp.token("admin@woodgrove.test", List.of("tenant-admin")));
    assertThat(asAdmin.status()).isEqualTo(200);
    assertThat(asAdmin.body()).doesNotContain("kt1.");
    Http.Response asUser = node.http.get("/v1/tenants/woodgrove", idp.token("user@woodgrove.test", List.of()));
    assertThat(asUser.status()).isEqualTo(403);
    assertThat(asUser.slug()).isEqualTo("forbidden");
  }

  @Test
  @DisplayName("keys/current carries max-age = the rollover window; jwks.json needs no token")
  void currentKeyAndJwks() {
    Issuer idp = node.createTenant("tailspin", "RSA-3072");
    Http.Response current = node.http.get("/v1/tenants/tailspin/keys/current", idp.token("u@tailspin.test", List.of()));
    assertThat(current.status()).isEqualTo(200);
    assertThat(current.header("Cache-Control")).contains("max-age=300");
    assertThat(current.json().getJsonObject("jwk").getString("kty")).isEqualTo("RSA");
    assertThat(node.http.get("/v1/tenants/tailspin/keys/current", null).status()).isEqualTo(401);
    Http.Response jwks = node.http.get("/v1/tenants/tailspin/jwks.json", null);
    assertThat(jwks.status()).isEqualTo(200);
    assertThat(jwks.json().getJsonArray("keys")).hasSize(1);
    assertThat(jwks.json().getJsonArray("keys").getJsonObject(0).getString("kid")).isEqualTo("tailspin:1");
    assertThat(node.http.get("/v1/tenants/nobody-here/jwks.json", null).slug()).isEqualTo("tenant-not-found");
  }

  @Test
  @DisplayName("bad creation requests are refused and store nothing")
  void badRequestsChangeNothing() {
    Issuer idp = Issuer.ec("https://idp.test/x");
    long before = tenantRows();
    JsonObject good = TestNode.tenantRequest("valid-id", "RSA-2048", idp);
    List<JsonObject> bad = List.of(
        good.copy().put("id", "Bad_Id"),
        good.copy().put("id", "x"),
        good.copy().put("adminEmail", "not-an-email"),
        good.copy().put("key", new JsonObject().put("origin", "service").put("algorithm", "RSA-1024")),
        good.copy().put("key", new JsonObject().put("origin", "magic").put("algorithm", "RSA-2048")),
        good.copy().put("identity", new JsonObject().put("issuer", "x")),
        good.copy().put("identity", new JsonObject().put("issuer", "x").put("jwks", new JsonObject(privateJwks()))));
    for (JsonObject body : bad) {
      Http.Response r = node.http.post("/v1/tenants", node.operatorToken(), body);
      assertThat(r.status()).as(body.encode()).isEqualTo(400);
      assertThat(r.slug()).isEqualTo("invalid-request");
    }
    Http.Response notOperator = node.http.post("/v1/tenants", idp.token("u", List.of("operator")), good);
    assertThat(notOperator.status()).isEqualTo(401);
    assertThat(tenantRows()).isEqualTo(before);

    assertThat(node.http.post("/v1/tenants", node.operatorToken(), good).status()).isEqualTo(201);
    Http.Response again = node.http.post("/v1/tenants", node.operatorToken(), good);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.slug()).isEqualTo("tenant-exists");
  }

  @Test
  @DisplayName("unknown routes and methods answer problem+json")
  void unknownRoutes() {
    Http.Response r = node.http.get("/v1/nothing", null);
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.slug()).isEqualTo("not-found");
    assertThat(node.http.get("/health/live", null).status()).isEqualTo(200);
    Http.Response ready = node.http.get("/health/ready", null);
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().fieldNames()).as("anonymous readiness is up or down only").containsExactly("status");
    Http.Response details = node.http.get("/health/ready", node.operatorToken());
    assertThat(details.json().getJsonObject("checks").fieldNames()).contains("database", "hsm", "world");
    JsonObject hsmCheck = details.json().getJsonObject("checks").getJsonObject("hsm");
    if ("software".equals(hsmCheck.getString("type"))) {
      // the default provider (hsm.software.provider auto): the native one where the build ships it
      boolean shipped = "Linux".equals(System.getProperty("os.name")) && "amd64".equals(System.getProperty("os.arch"));
      assertThat(hsmCheck.getString("provider")).as(hsmCheck.encode()).contains(shipped ? "AWS-LC" : "JDK");
      assertThat(hsmCheck.getBoolean("nativeCode")).isEqualTo(shipped);
    }
    assertThat(node.http.get("/health/ready", node.createTenant("ready-user", "EC-P256")
        .token("admin@ready-user.test", List.of("tenant-admin"))).json().fieldNames()).containsExactly("status");
    Http.Response openapi = node.http.get("/openapi.yaml", null);
    assertThat(openapi.status()).isEqualTo(200);
    assertThat(openapi.body()).contains("openapi: 3", "/v1/tenants:", "/v1/cluster:", "/v1/incidents:", "/v1/crypto-policy:", "/v1/tenants/{tid}:", "/v1/tenants/{tid}/keys/current:",
        "/v1/tenants/{tid}/jwks.json:", "/v1/tenants/{tid}/publishing-licenses:", "/v1/tenants/{tid}/licenses:",
        "/v1/tenants/{tid}/keys/rekey:", "/v1/tenants/{tid}/cancel:", "/v1/tenants/{tid}/reactivate:",
        "/v1/tenants/{tid}/keys/{version}:", "/v1/tenants/{tid}/keys/{version}/export:", "/v1/tenants/{tid}/audit:",
        "/v1/tenants/{tid}/byok/kek:", "/v1/tenants/{tid}/backup:", "/v1/tenants/restore:");
  }

  @Test
  @DisplayName("NUL and control characters anywhere are a 400 or 404 problem, never a 500")
  void controlCharactersAreRefusedCleanly() {
    Issuer idp = node.createTenant("ctl", "EC-P256");
    String op = node.operatorToken();
    assertThat(node.http.get("/v1/tenants/%00/jwks.json", null).slug()).isEqualTo("tenant-not-found");
    assertThat(node.http.get("/v1/tenants/ctl%00/keys/current", op).status()).isEqualTo(404);
    JsonObject nulName = TestNode.tenantRequest("ctl-2", "EC-P256", idp).put("displayName", "evil\u0000name");
    assertThat(node.http.post("/v1/tenants", op, nulName).slug()).isEqualTo("invalid-request");
    JsonObject nulKid = TestNode.tenantRequest("ctl-3", "EC-P256", idp);
    nulKid.getJsonObject("identity").getJsonObject("jwks").getJsonArray("keys").getJsonObject(0).put("kid", "a\u0000b");
    assertThat(node.http.post("/v1/tenants", op, nulKid).slug()).isEqualTo("invalid-request");
    assertThat(node.http.delete("/v1/tenants/ctl/keys/1?reason=a%00b", op).slug()).isEqualTo("invalid-request");
    // a token whose subject holds NUL: the key use is audited (with the NUL replaced), and the audit keeps flowing
    String pl = RmsClient.publishOffline(
        node.http.get("/v1/tenants/ctl/keys/current", idp.token("u@x.test", List.of())).json(),
        RmsClient.plPayload("c", "u", RmsClient.newContentKey(),
            new JsonObject().put("grants", new JsonArray().add(new JsonObject().put("principal", "*")
                .put("rights", new JsonArray().add("VIEW"))))));
    Http.Response r = node.http.post("/v1/tenants/ctl/licenses", idp.token("nul\u0000user", List.of()),
        new JsonObject().put("publishingLicense", pl).put("recipientKey",
            RmsClient.publicJwk(RmsClient.recipientKey(false))));
    assertThat(r.status()).isEqualTo(200);
    long deadline = System.currentTimeMillis() + 5000;
    while (node.node.audit().backlog() > 0 && System.currentTimeMillis() < deadline) {
      Thread.yield();
    }
    assertThat(node.node.audit().backlog()).isZero();
  }

  private static String privateJwks() {
    try {
      var k = EcJwkGenerator.generateJwk(EllipticCurves.P256);
      return "{\"keys\":[" + k.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE) + "]}";
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
