package io.licensor.world;

import io.licensor.support.ByokTransfer;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Pkcs11Token;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Security review of 73c5f13, finding 5: on PKCS#11 the node read the world key from
 * {@code world/module.key} at every start, so whoever could read the data directory (and the
 * database's key tokens) held every tenant key, BYOK keys included. Now the token holds the world
 * after the first start; the module key goes off the node, and a node set to {@code world.id}
 * starts from the token alone. The attack: read every file under the data directory, looking for
 * the world key in any encoding. On 73c5f13 a node without its module key made a new world, and
 * the tenant's content no longer licensed.
 */
@DisplayName("PKCS#11: once enrolled, the world lives on the token alone; the node's disks do not hold it")
class TokenOnlyWorldTest {

  @Test
  @DisplayName("module key moved off the node: the node starts from the token, licenses BYOK content, and no file holds the world key")
  void nodeRunsFromTheTokenAlone(@TempDir Path dataDir, @TempDir Path vault) throws Exception {
    String dbUrl = null; // the embedded default: its PostgreSQL's files are under the data directory too
    JsonObject settings = new JsonObject().put("dataDir", dataDir.toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 1))
        .put("hsm", new JsonObject().put("type", "pkcs11").put("pkcs11", new JsonObject().put("library", Pkcs11Token.library())));
    Map<String, String> env = Map.of("LICENSOR_HSM_PKCS11_PIN", Pkcs11Token.pin());
    Issuer operators = Issuer.rsa("https://operators.test");
    Issuer idp = Issuer.ec("https://idp.test/token-only");
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    var pair = generator.generateKeyPair();
    byte[] contentKey = RmsClient.newContentKey();
    JsonObject policy = new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));
    String pl;
    String worldId;
    try (TestNode first = TestNode.start(settings, dataDir, dbUrl, operators, env)) {
      worldId = first.node.worldId();
      Http.Response kek = first.http.post("/v1/tenants/byok-token/byok/kek", first.operatorToken(), "");
      assertThat(kek.status()).as(kek.toString()).isEqualTo(201);
      JsonObject body = TestNode.tenantRequest("byok-token", "RSA-2048", idp);
      body.getJsonObject("key").put("origin", "byok").put("byok", ByokTransfer.file(kek.json(), pair.getPrivate().getEncoded()));
      Http.Response created = first.http.post("/v1/tenants", first.operatorToken(), body);
      assertThat(created.status()).as(created.toString()).isEqualTo(201);
      pl = RmsClient.publishOffline(first.http.get("/v1/tenants/byok-token/keys/current", idp.token("alice@x.test", List.of())).json(),
          RmsClient.plPayload("doc", "alice@x.test", contentKey, policy));
    }

    // the operator's step: the module key leaves the node, for the vault with the admin cards
    Path moduleKey = ModuleKeyFile.pathIn(dataDir);
    WorldKey world = ModuleKeyFile.load(dataDir, null);
    byte[] worldKey = world.secretBytesForHsm();
    world.destroy();
    Files.move(moduleKey, vault.resolve("module.key"));

    try (TestNode second = TestNode.start(settings.copy().put("world", new JsonObject().put("id", worldId)), dataDir, dbUrl,
        operators, env)) {
      assertThat(second.node.worldId()).isEqualTo(worldId);
      var recipient = RmsClient.recipientKey(false);
      Http.Response license = second.http.post("/v1/tenants/byok-token/licenses", idp.token("bob@x.test", List.of()),
          new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(recipient)));
      assertThat(license.status()).as(license.toString()).isEqualTo(200);
      var claims = RmsClient.verifyUseLicense(license.json().getString("useLicense"),
          second.http.get("/v1/tenants/byok-token/jwks.json", null).json(), "byok-token");
      assertThat(RmsClient.openContentKey(claims.getStringClaimValue("contentKey"), recipient)).isEqualTo(contentKey);
      JsonObject checks = second.http.get("/health/ready", second.operatorToken()).json().getJsonObject("checks");
      assertThat(checks.getJsonObject("world").getString("custody")).isEqualTo("token");
      assertThat(checks.getJsonObject("world").getBoolean("sealed")).isTrue();
      assertThat(Files.exists(moduleKey)).as("no module key made again").isFalse();

      // the attack: every file of the data directory (the embedded PostgreSQL's included), every encoding of the world key
      List<byte[]> forms = List.of(worldKey, Base64.getEncoder().encode(worldKey), Base64.getUrlEncoder().withoutPadding().encode(worldKey),
          HexFormat.of().formatHex(worldKey).getBytes(StandardCharsets.US_ASCII));
      List<String> holding = new ArrayList<>();
      int scanned = 0;
      try (Stream<Path> files = Files.walk(dataDir)) {
        for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
          byte[] content;
          try {
            content = Files.readAllBytes(file);
          } catch (NoSuchFileException gone) {
            continue; // a temporary file of the database, gone meanwhile
          }
          scanned++;
          for (byte[] form : forms) {
            if (indexOf(content, form) >= 0) {
              holding.add(dataDir.relativize(file).toString());
            }
          }
        }
      }
      assertThat(scanned).isGreaterThan(10);
      assertThat(holding).as("files holding the world key").isEmpty();
    } finally {
      Arrays.fill(worldKey, (byte) 0);
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
