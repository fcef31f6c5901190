package io.licensor.lifecycle;

import io.licensor.hsm.KeyToken;
import io.licensor.hsm.LegacyKeyTokens;
import io.licensor.support.ByokTransfer;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.licensor.world.ModuleKeyFile;
import io.licensor.world.WorldKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database of an earlier version holds BYOK key tokens wrapped under the world key itself, which
 * a PKCS#11 token lets a holder of its PIN take out ({@code TokenCustodyTest}). At the next start
 * the node moves each into custody: the same key, a new token, in the database in place of the old.
 */
@DisplayName("At start, BYOK key tokens of an earlier version are moved into custody, and go on licensing")
class CustodyUpgradeTest {

  @Test
  @DisplayName("a BYOK version whose token predates custody is re-wrapped at the next start; its content still licenses")
  void earlierTokensAreMovedAtStart(@TempDir Path dataDir) throws Exception {
    String dbUrl = TestDatabase.freshDatabaseUrl();
    JsonObject settings = new JsonObject().put("dataDir", dataDir.toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 1))
        .put("database", new JsonObject().put("url", dbUrl));
    Issuer operators = Issuer.rsa("https://operators.test");
    Issuer idp = Issuer.ec("https://idp.test/custody");
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    var pair = generator.generateKeyPair();
    String select = "SELECT key_token FROM key_versions WHERE tenant_id = 'custody' AND version = 1";
    String pl;
    byte[] contentKey = RmsClient.newContentKey();
    JsonObject policy = new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));
    try (TestNode first = TestNode.start(settings, dataDir, dbUrl, operators)) {
      Http.Response kek = first.http.post("/v1/tenants/custody/byok/kek", first.operatorToken(), "");
      assertThat(kek.status()).as(kek.toString()).isEqualTo(201);
      JsonObject body = TestNode.tenantRequest("custody", "RSA-2048", idp);
      body.getJsonObject("key").put("origin", "byok").put("byok", ByokTransfer.file(kek.json(), pair.getPrivate().getEncoded()));
      Http.Response created = first.http.post("/v1/tenants", first.operatorToken(), body);
      assertThat(created.status()).as(created.toString()).isEqualTo(201);
      assertThat(KeyToken.parse(TestDatabase.text(dbUrl, select)).beforeCustody()).as("a new import is in custody already").isFalse();
      pl = RmsClient.publishOffline(first.http.get("/v1/tenants/custody/keys/current", idp.token("alice@x.test", List.of())).json(),
          RmsClient.plPayload("before", "alice@x.test", contentKey, policy));
    }

    // the database as an earlier version left it: the same key, wrapped under the world key itself
    WorldKey world = ModuleKeyFile.load(dataDir, null);
    String legacy = LegacyKeyTokens.byok(world, pair.getPrivate().getEncoded()).encode();
    world.destroy();
    TestDatabase.execute(dbUrl, "UPDATE key_versions SET key_token = '" + legacy + "' WHERE tenant_id = 'custody' AND version = 1");

    try (TestNode second = TestNode.start(settings, dataDir, dbUrl, operators)) {
      String stored = TestDatabase.text(dbUrl, select);
      assertThat(stored).as("moved into custody at start").isNotEqualTo(legacy);
      assertThat(KeyToken.parse(stored).beforeCustody()).isFalse();
      var recipient = RmsClient.recipientKey(false);
      Http.Response license = second.http.post("/v1/tenants/custody/licenses", idp.token("bob@x.test", List.of()),
          new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(recipient)));
      assertThat(license.status()).as(license.toString()).isEqualTo(200);
      assertThat(license.json().getString("kid")).isEqualTo("custody:1");
      var claims = RmsClient.verifyUseLicense(license.json().getString("useLicense"),
          second.http.get("/v1/tenants/custody/jwks.json", null).json(), "custody");
      assertThat(RmsClient.openContentKey(claims.getStringClaimValue("contentKey"), recipient)).isEqualTo(contentKey);
      Http.Response export = second.http.post("/v1/tenants/custody/keys/1/export", idp.token("admin@x.test", List.of("tenant-admin")),
          new JsonObject().put("password", "a long export password 1").put("format", "pkcs8-pem"));
      assertThat(export.status()).as(export.toString()).isEqualTo(403);
      assertThat(export.slug()).isEqualTo("key-not-exportable");
    }
  }
}
