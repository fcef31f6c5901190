package io.licensor.licensing;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.PublicJsonWebKey;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded default, as {@code licensor serve} runs it with no configuration: embedded
 * PostgreSQL and the world key under the data directory. A restart on the same directory keeps
 * every tenant key, so publishing licenses made before it still license.
 */
@DisplayName("A node restarted on the same data directory still licenses earlier content")
class RestartTest {

  @Test
  @DisplayName("publishing licenses from before a restart license after it")
  void earlierPublishingLicensesStillLicense(@TempDir Path dataDir) throws Exception {
    JsonObject settings = new JsonObject()
        .put("dataDir", dataDir.toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 1));
    Issuer operators = Issuer.rsa("https://operators.test");
    Issuer idp;
    String rsaPl;
    String ecPl;
    byte[] contentKey = RmsClient.newContentKey();
    String worldId;
    JsonObject policy = new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));
    try (TestNode first = TestNode.start(settings, dataDir, null, operators)) {
      // one identity provider for both tenants, each bound by its tid
      idp = Issuer.ec("https://idp.test/shared");
      for (String[] t : new String[][] {{"contoso", "RSA-2048"}, {"northwind", "EC-P384"}}) {
        Http.Response created = first.http.post("/v1/tenants", first.operatorToken(),
            TestNode.sharedIssuerTenantRequest(t[0], t[1], idp));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
      }
      rsaPl = RmsClient.publishOffline(first.http.get("/v1/tenants/contoso/keys/current",
              idp.tenantToken("contoso", "alice@contoso.test", List.of())).json(),
          RmsClient.plPayload("before-restart", "alice@contoso.test", contentKey, policy));
      ecPl = first.http.post("/v1/tenants/northwind/publishing-licenses", idp.tenantToken("northwind", "alice@contoso.test", List.of()), new JsonObject()
          .put("contentId", "online-before").put("policy", policy).put("contentKey", RmsClient.b64(contentKey)))
          .json().getString("publishingLicense");
      worldId = first.node.worldId();
    }

    Path moduleKey = dataDir.resolve("world").resolve("module.key");
    assertThat(Files.getPosixFilePermissions(moduleKey))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    assertThat(Files.exists(dataDir.resolve("postgres"))).isTrue();

    try (TestNode second = TestNode.start(settings, dataDir, null, operators)) {
      assertThat(second.node.worldId()).isEqualTo(worldId);
      for (String[] c : new String[][] {{"contoso", rsaPl}, {"northwind", ecPl}}) {
        String bob = idp.tenantToken(c[0], "bob@contoso.test", List.of());
        PublicJsonWebKey recipient = RmsClient.recipientKey(true);
        Http.Response license = second.http.post("/v1/tenants/" + c[0] + "/licenses", bob,
            new JsonObject().put("publishingLicense", c[1]).put("recipientKey", RmsClient.publicJwk(recipient)));
        assertThat(license.status()).as(license.toString()).isEqualTo(200);
        var claims = RmsClient.verifyUseLicense(license.json().getString("useLicense"),
            second.http.get("/v1/tenants/" + c[0] + "/jwks.json", null).json(), c[0]);
        assertThat(RmsClient.openContentKey(claims.getStringClaimValue("contentKey"), recipient)).isEqualTo(contentKey);
      }
    }
  }
}
