package io.licensor.backup;

import io.licensor.Main;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.identity.Principal;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.SecretLedger;
import io.licensor.support.Secrets;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.licensor.world.AdminCards;
import io.licensor.world.ModuleKeyFile;
import io.licensor.world.WorldKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The full disaster: tenants with active, retained and destroyed versions and published content
 * are backed up; the database and the data directory are lost; a new node loads the world from 3
 * of the 5 admin cards, restores the packages, and every old publishing license licenses again.
 */
@DisplayName("Disaster recovery from admin cards and backup packages")
class DisasterRecoveryTest {

  static final JsonObject ANYONE = new JsonObject().put("grants", new JsonArray()
      .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));

  static JsonObject settings(Path dataDir, String db) {
    return new JsonObject().put("dataDir", dataDir.toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 1))
        .put("database", new JsonObject().put("url", db));
  }

  static String publish(TestNode node, String tenant, Issuer idp) {
    Http.Response current = node.http.get("/v1/tenants/" + tenant + "/keys/current", idp.token("a@x.test", List.of()));
    return RmsClient.publishOffline(current.json(), RmsClient.plPayload("c", "a@x.test", RmsClient.newContentKey(), ANYONE));
  }

  static Http.Response license(TestNode node, String tenant, Issuer idp, String pl, PublicJsonWebKey recipient) {
    return node.http.post("/v1/tenants/" + tenant + "/licenses", idp.token("reader@x.test", List.of()),
        new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(recipient)));
  }

  @Test
  @DisplayName("a new node with the world from 3 cards restores the packages and every old PL licenses")
  void fullDisasterRecovery(@TempDir Path dir) throws Exception {
    List<char[]> pass = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      pass.add(("admin card passphrase " + i).toCharArray());
      SecretLedger.password("admin card passphrase " + i);
    }
    AdminCards.NewWorld world = AdminCards.create(3, pass);
    Path dataA = dir.resolve("a");
    ModuleKeyFile.write(dataA, world.key());
    String dbA = TestDatabase.freshDatabaseUrl();
    Issuer operators = Issuer.rsa("https://operators.test");

    Map<String, Issuer> idps = new LinkedHashMap<>();
    List<String[]> content = new ArrayList<>();   // {tenant, pl, expected kid or "gone"}
    Map<String, JsonObject> backups = new LinkedHashMap<>();
    byte[] byokPkcs8;
    String templated;
    String revokedPl;
    try (TestNode a = TestNode.start(settings(dataA, dbA), dataA, dbA, operators)) {
      String op = a.operatorToken();
      idps.put("dr-one", a.createTenant("dr-one", "RSA-2048"));
      content.add(new String[] {"dr-one", publish(a, "dr-one", idps.get("dr-one")), "dr-one:1"});
      a.http.post("/v1/tenants/dr-one/keys/rekey", op, new JsonObject().put("origin", "service").put("algorithm", "EC-P256"));
      content.add(new String[] {"dr-one", publish(a, "dr-one", idps.get("dr-one")), "dr-one:2"});

      // a rights template and a revoked document: both come back with the tenant
      Http.Response template = a.http.post("/v1/tenants/dr-one/templates", op, new JsonObject().put("name", "Board only")
          .put("grants", new JsonArray().add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("PRINT")))));
      assertThat(template.status()).as(template.toString()).isEqualTo(201);
      templated = RmsClient.publishOffline(a.http.get("/v1/tenants/dr-one/keys/current", idps.get("dr-one").token("a@x.test",
          List.of())).json(), RmsClient.plPayload("board-pack", "a@x.test", RmsClient.newContentKey(),
          new JsonObject().put("template", template.json().getString("id"))));
      revokedPl = RmsClient.publishOffline(a.http.get("/v1/tenants/dr-one/keys/current", idps.get("dr-one").token("a@x.test",
          List.of())).json(), RmsClient.plPayload("leaked-memo", "a@x.test", RmsClient.newContentKey(), ANYONE));
      assertThat(a.http.send("PUT", "/v1/tenants/dr-one/documents/leaked-memo/revocation", op, "{}").status()).isEqualTo(200);

      idps.put("dr-two", a.createTenant("dr-two", "EC-P384"));
      content.add(new String[] {"dr-two", publish(a, "dr-two", idps.get("dr-two")), "dr-two:1"});
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      byokPkcs8 = g.generateKeyPair().getPrivate().getEncoded();
      a.node.lifecycle().rekeyImported(new Principal("ops", "https://operators.test", null, Set.of("operator"), Set.of(), true),
          "dr-two", KeyAlgorithm.EC_P256, byokPkcs8.clone(), "test").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      content.add(new String[] {"dr-two", publish(a, "dr-two", idps.get("dr-two")), "dr-two:2"});

      idps.put("dr-three", a.createTenant("dr-three", "EC-P256"));
      content.add(new String[] {"dr-three", publish(a, "dr-three", idps.get("dr-three")), "gone"});
      a.http.post("/v1/tenants/dr-three/keys/rekey", op, new JsonObject().put("origin", "service").put("algorithm", "EC-P256"));
      content.add(new String[] {"dr-three", publish(a, "dr-three", idps.get("dr-three")), "dr-three:2"});
      assertThat(a.http.delete("/v1/tenants/dr-three/keys/1?reason=compromised", op).status()).isEqualTo(204);

      for (String tenant : idps.keySet()) {
        Http.Response b = a.http.get("/v1/tenants/" + tenant + "/backup", op);
        assertThat(b.status()).as(b.toString()).isEqualTo(200);
        assertThat(b.json().getString("worldId")).isEqualTo(world.key().worldId());
        backups.put(tenant, b.json());
      }
      Http.Response asAdmin = a.http.get("/v1/tenants/dr-one/backup", idps.get("dr-one").token("adm", List.of("tenant-admin")));
      assertThat(asAdmin.status()).isEqualTo(200);
      assertThat(a.http.get("/v1/tenants/dr-one/backup", idps.get("dr-one").token("u", List.of())).status()).isEqualTo(403);
    }
    // the destroyed version is in the package as a tombstone: its number and public key, no token
    assertThat(backups.get("dr-three").getJsonArray("keys")).hasSize(2);
    assertThat(backups.get("dr-three").getJsonArray("keys").getJsonObject(0).getString("state")).isEqualTo("destroyed");
    assertThat(backups.get("dr-three").getJsonArray("keys").getJsonObject(0).containsKey("token")).isFalse();
    Secrets.assertNoPkcs8(backups.toString(), byokPkcs8);

    // the disaster: database and data directory gone
    TestDatabase.drop(dbA);
    try (var files = Files.walk(dataA)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertThat(Files.exists(dataA)).isFalse();

    // recovery: cards 2, 4 and 5 rebuild the world on a new module
    List<AdminCards.Card> cards = world.cards().stream().map(c -> AdminCards.read(c, "card")).toList();
    WorldKey rebuilt = AdminCards.rebuild(world.worldFile(), List.of(cards.get(1), cards.get(3), cards.get(4)),
        List.of(pass.get(1), pass.get(3), pass.get(4)));
    Path dataB = dir.resolve("b");
    ModuleKeyFile.write(dataB, rebuilt);
    String dbB = TestDatabase.freshDatabaseUrl();
    try (TestNode b = TestNode.start(settings(dataB, dbB), dataB, dbB, operators)) {
      String op = b.operatorToken();
      // a flipped byte: refused, nothing written
      JsonObject tampered = backups.get("dr-one").copy();
      JsonObject key0 = tampered.getJsonArray("keys").getJsonObject(0);
      String token = key0.getString("token");
      key0.put("token", token.substring(0, 20) + (token.charAt(20) == 'A' ? 'B' : 'A') + token.substring(21));
      Http.Response bad = b.http.post("/v1/tenants/restore", op, tampered);
      assertThat(bad.status()).isEqualTo(400);
      assertThat(bad.slug()).isEqualTo("backup-invalid");
      assertThat(b.http.get("/v1/tenants/dr-one", op).status()).isEqualTo(404);
      assertThat(b.http.post("/v1/tenants/restore", idps.get("dr-one").token("adm", List.of("tenant-admin")),
          backups.get("dr-one")).status()).isIn(401, 403);

      for (Map.Entry<String, JsonObject> e : backups.entrySet()) {
        Http.Response r = b.http.post("/v1/tenants/restore", op, e.getValue());
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
      }
      for (String[] c : content) {
        PublicJsonWebKey recipient = RmsClient.recipientKey(true);
        Http.Response r = license(b, c[0], idps.get(c[0]), c[1], recipient);
        if (c[2].equals("gone")) {
          // recovered as destroyed, not forgotten: 410, and its number is never another key's
          assertThat(r.status()).as("destroyed before the backup: " + r).isEqualTo(410);
          assertThat(r.slug()).isEqualTo("key-destroyed");
          continue;
        }
        assertThat(r.status()).as(c[2] + " " + r).isEqualTo(200);
        assertThat(r.json().getString("kid")).isEqualTo(c[2]);
        var claims = RmsClient.verifyUseLicense(r.json().getString("useLicense"),
            b.http.get("/v1/tenants/" + c[0] + "/jwks.json", null).json(), c[0]);
        assertThat(RmsClient.openContentKey(claims.getStringClaimValue("contentKey"), recipient)).hasSize(32);
      }
      // the template's content licenses by the template; the revoked document stays revoked
      Http.Response byTemplate = license(b, "dr-one", idps.get("dr-one"), templated, RmsClient.recipientKey(true));
      assertThat(byTemplate.status()).as(byTemplate.toString()).isEqualTo(200);
      assertThat(byTemplate.json().getJsonArray("rights").getList()).containsExactly("PRINT");
      assertThat(license(b, "dr-one", idps.get("dr-one"), revokedPl, RmsClient.recipientKey(true)).slug())
          .isEqualTo("content-revoked");
      Http.Response again = b.http.post("/v1/tenants/restore", op, backups.get("dr-one"));
      assertThat(again.status()).isEqualTo(409);
      assertThat(again.slug()).isEqualTo("tenant-exists");
      assertThat(b.http.post("/v1/tenants/restore?replace=true", op, backups.get("dr-one")).status()).isEqualTo(200);
      assertThat(b.http.get("/v1/tenants/dr-two", op).json().getJsonArray("keys").getJsonObject(1).getString("origin"))
          .isEqualTo("byok");
      assertThat(b.http.post("/v1/tenants/dr-two/keys/2/export", idps.get("dr-two").token("adm", List.of("tenant-admin")),
          new JsonObject().put("password", "a long enough password")).slug()).isEqualTo("key-not-exportable");
      assertThat(b.http.get("/v1/tenants/dr-one/audit", op).json().getJsonArray("events").stream()
          .anyMatch(ev -> "tenant.restore".equals(((JsonObject) ev).getString("action")))).isTrue();
      String dump = TestDatabase.text(dbB, "SELECT string_agg(t::text, E'\\n') FROM key_versions t")
          + TestDatabase.text(dbB, "SELECT string_agg(t::text, E'\\n') FROM tenants t");
      Secrets.assertNoPkcs8(dump, byokPkcs8);
    }

    // the drill: a scratch instance restores the packages and licenses under every version
    Files.writeString(dir.resolve("world.json"), world.worldFile().encode());
    List<String> drill = new ArrayList<>(List.of("dr-drill", "--world", dir.resolve("world.json").toString()));
    for (int i : new int[] {1, 3, 5}) {
      Files.writeString(dir.resolve("card-" + i + ".json"), world.cards().get(i - 1).encode());
      Files.writeString(dir.resolve("pass-" + i), new String(pass.get(i - 1)));
      drill.addAll(List.of("--card", dir.resolve("card-" + i + ".json").toString(),
          "--passphrase-file", i + "=" + dir.resolve("pass-" + i)));
    }
    for (Map.Entry<String, JsonObject> e : backups.entrySet()) {
      Path f = dir.resolve(e.getKey() + ".backup.json");
      Files.writeString(f, e.getValue().encodePrettily());
      drill.addAll(List.of("--backup", f.toString()));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream previous = System.out;
    int code;
    try {
      System.setOut(new PrintStream(out, true));
      code = new picocli.CommandLine(new Main()).execute(drill.toArray(new String[0]));
    } finally {
      System.setOut(previous);
    }
    String report = out.toString();
    assertThat(code).as(report).isZero();
    assertThat(report).contains("ok   dr-one:1 (retained", "ok   dr-one:2 (active", "ok   dr-two:2", "ok   dr-three:2",
        "dr-drill: PASSED");
    assertThat(report).doesNotContain("dr-three:1");
    // the drill's report, not the scratch node's log (that is in a file of its own, named)
    assertThat(report).doesNotContain("licensor listening", "Migrating schema").contains("scratch instance's log is in");

    // a node of another world refuses the package
    Path dataC = dir.resolve("c");
    String dbC = TestDatabase.freshDatabaseUrl();
    try (TestNode c = TestNode.start(settings(dataC, dbC), dataC, dbC, operators)) {
      Http.Response r = c.http.post("/v1/tenants/restore", c.operatorToken(), backups.get("dr-one"));
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.slug()).isEqualTo("world-mismatch");
      assertThat(r.json().getString("detail")).contains(world.key().worldId(), c.node.worldId());
    }
  }
}
