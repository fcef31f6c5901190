package io.licensor.lifecycle;

import io.licensor.hsm.KeyAlgorithm;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.SecretLedger;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Export (never for BYOK keys) and the tamper-evident audit trail. */
@DisplayName("Export and audit")
class ExportAndAuditTest {

  static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    KeyLifecycleTest.node = node;
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static byte[] ecPkcs8() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair().getPrivate().getEncoded();
  }

  private static JsonArray audit(String tenant, String token) {
    Http.Response r = node.http.get("/v1/tenants/" + tenant + "/audit?limit=1000", token);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json().getJsonArray("events");
  }

  @Test
  @DisplayName("a BYOK version is never exported: every role, route and format gets 403 key-not-exportable, audited")
  void byokKeyIsNeverExported() throws Exception {
    Issuer idp = node.createTenant("byok-co", "RSA-2048");
    KeyLifecycleTest.importByok("byok-co", KeyAlgorithm.EC_P256, ecPkcs8());
    JsonObject key = node.http.get("/v1/tenants/byok-co", node.operatorToken()).json().getJsonArray("keys").getJsonObject(1);
    assertThat(key.getString("origin")).isEqualTo("byok");
    assertThat(key.getBoolean("exportable")).isFalse();
    // the imported key works for licensing
    String pl = KeyLifecycleTest.publishOffline("byok-co", idp);
    assertThat(KeyLifecycleTest.license("byok-co", idp, pl).json().getString("kid")).isEqualTo("byok-co:2");

    String password = "correct horse battery staple";
    SecretLedger.password(password);
    List<String> tokens = List.of(KeyLifecycleTest.admin(idp), node.operatorToken(), idp.token("user@x.test", List.of()));
    int attempts = 0;
    int byRoleHolders = 0;
    for (String token : tokens) {
      for (String path : List.of("/v1/tenants/byok-co/keys/2/export", "/v1/tenants/byok-co/keys/2/export?format=jwk",
          "/v1/tenants/byok-co/keys/2/export?format=pkcs12")) {
        Http.Response r = node.http.post(path, token, new JsonObject().put("password", password));
        assertThat(r.status()).as(path + " " + r).isEqualTo(403);
        assertThat(r.slug()).isEqualTo("key-not-exportable");
        attempts++;
      }
      for (String method : List.of("GET", "PUT")) {
        Http.Response r = node.http.send(method, "/v1/tenants/byok-co/keys/2/export", token, null);
        assertThat(r.slug()).as(method).isEqualTo("key-not-exportable");
        attempts++;
      }
      if (!token.equals(tokens.get(2))) {
        byRoleHolders = attempts;
      }
    }
    // each refusal of the tenant-admin and the operator is a record; a plain user's are counted, not each recorded
    List<JsonObject> refused = audit("byok-co", node.operatorToken()).stream().map(e -> (JsonObject) e)
        .filter(e -> "key.export".equals(e.getString("action")) && "refused:key-not-exportable".equals(e.getString("outcome")))
        .toList();
    assertThat(refused).hasSize(byRoleHolders);
    assertThat(refused).noneMatch(e -> String.valueOf(e.getString("principal")).contains("user@x.test"));
  }

  @Test
  @DisplayName("a service key exports for its tenant-admin as encrypted PKCS#8 that OpenSSL opens to the same key")
  void serviceKeyExportsEncrypted(@TempDir Path dir) throws Exception {
    Issuer idp = node.createTenant("svc-co", "RSA-2048");
    String password = "a long export password";
    SecretLedger.password(password);
    Http.Response byOperator = node.http.post("/v1/tenants/svc-co/keys/1/export", node.operatorToken(),
        new JsonObject().put("password", password));
    assertThat(byOperator.slug()).isEqualTo("forbidden");
    assertThat(node.http.post("/v1/tenants/svc-co/keys/1/export", KeyLifecycleTest.admin(idp),
        new JsonObject().put("password", "short")).slug()).isEqualTo("invalid-request");

    Http.Response r = node.http.post("/v1/tenants/svc-co/keys/1/export", KeyLifecycleTest.admin(idp),
        new JsonObject().put("password", password));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    String pem = r.json().getString("privateKeyPem");
    assertThat(pem).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    Path file = dir.resolve("key.pem");
    Files.writeString(file, pem);
    Path pass = dir.resolve("pass.txt");
    Files.writeString(pass, password);
    Process p = new ProcessBuilder("openssl", "pkey", "-in", file.toString(), "-passin", "file:" + pass, "-pubout")
        .redirectErrorStream(true).start();
    String publicPem = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(publicPem).isZero();
    byte[] der = Base64.getMimeDecoder().decode(publicPem.replaceAll("-----[A-Z ]+-----", ""));
    JsonObject jwk = node.http.get("/v1/tenants/svc-co/jwks.json", null).json().getJsonArray("keys").getJsonObject(0);
    assertThat(der).isEqualTo(PublicJsonWebKey.Factory.newPublicJwk(jwk.encode()).getPublicKey().getEncoded());
    Process wrong = new ProcessBuilder("openssl", "pkey", "-in", file.toString(), "-passin", "pass:wrong password!", "-pubout")
        .redirectErrorStream(true).start();
    wrong.getInputStream().readAllBytes();
    assertThat(wrong.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(wrong.exitValue()).isNotZero();
    assertThat(audit("svc-co", node.operatorToken()).stream().map(e -> (JsonObject) e)
        .anyMatch(e -> "key.export".equals(e.getString("action")) && "ok".equals(e.getString("outcome")))).isTrue();
  }

  @Test
  @DisplayName("changing one audit row in PostgreSQL makes the audit report the chain broken at that record")
  void tamperedAuditRowBreaksTheChain() throws Exception {
    Issuer idp = node.createTenant("trail", "EC-P256");
    String pl = KeyLifecycleTest.publishOffline("trail", idp);
    for (int i = 0; i < 4; i++) {
      assertThat(KeyLifecycleTest.license("trail", idp, pl).status()).isEqualTo(200);
    }
    assertThat(node.http.post("/v1/tenants/trail/licenses", idp.token("x@x.test", List.of()),
        new JsonObject().put("publishingLicense", pl + "x").put("recipientKey",
            RmsClient.publicJwk(RmsClient.recipientKey(false)))).status()).isEqualTo(400);
    KeyLifecycleTest.rekey("trail", KeyLifecycleTest.admin(idp), "EC-P256");
    Http.Response ok = awaitAudit("trail", 7);
    assertThat(ok.json().getBoolean("chainValid")).isTrue();
    JsonArray events = ok.json().getJsonArray("events");
    assertThat(events.stream().map(e -> ((JsonObject) e).getString("action")).toList())
        .contains("tenant.create", "license.issued", "license.denied", "key.rekey");
    JsonObject issued = events.stream().map(e -> (JsonObject) e).filter(e -> "license.issued".equals(e.getString("action")))
        .findFirst().orElseThrow();
    assertThat(issued.getString("kid")).isEqualTo("trail:1");
    assertThat(issued.getString("principal")).isEqualTo("reader@x.test");
    assertThat(issued.getString("requestId")).isNotBlank();
    assertThat(issued.getString("node")).isNotBlank();
    JsonObject denied = events.stream().map(e -> (JsonObject) e).filter(e -> "license.denied".equals(e.getString("action")))
        .findFirst().orElseThrow();
    assertThat(denied.getString("outcome")).isEqualTo("publishing-license-invalid");

    TestDatabase.execute(node.databaseUrl, "UPDATE audit_events SET principal = 'someone-else' WHERE tenant_id = 'trail' AND seq = 3");
    Http.Response broken = node.http.get("/v1/tenants/trail/audit", KeyLifecycleTest.admin(idp));
    assertThat(broken.json().getBoolean("chainValid")).isFalse();
    assertThat(broken.json().getLong("brokenAt")).isEqualTo(3L);
    assertThat(node.http.get("/v1/tenants/trail/audit", idp.token("user@x.test", List.of())).slug()).isEqualTo("forbidden");
  }

  @Test
  @DisplayName("deleting the newest audit row is detected too")
  void truncatedAuditIsDetected() {
    Issuer idp = node.createTenant("trail2", "EC-P256");
    KeyLifecycleTest.rekey("trail2", KeyLifecycleTest.admin(idp), "EC-P256");
    awaitAudit("trail2", 2);
    TestDatabase.execute(node.databaseUrl, "DELETE FROM audit_events WHERE tenant_id = 'trail2' AND seq = 2");
    Http.Response r = node.http.get("/v1/tenants/trail2/audit", node.operatorToken());
    assertThat(r.json().getBoolean("chainValid")).isFalse();
    assertThat(r.json().getLong("brokenAt")).isEqualTo(2L);
  }

  static Http.Response awaitAudit(String tenant, int records) {
    long deadline = System.currentTimeMillis() + 10_000;
    Http.Response r;
    do {
      r = node.http.get("/v1/tenants/" + tenant + "/audit?limit=1000", node.operatorToken());
      if (r.json().getJsonArray("events").size() >= records) {
        return r;
      }
      sleep(50);
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("audit has " + r.json().getJsonArray("events").size() + " records, expected " + records);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
