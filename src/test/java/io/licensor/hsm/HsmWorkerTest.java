package io.licensor.hsm;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.licensor.world.WorldKey;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Private-key work happens on the HSM worker threads and never on an event loop. */
@DisplayName("The HSM worker does all private-key work")
class HsmWorkerTest {

  @Test
  @DisplayName("every HSM operation of publishing and licensing ran on an HSM worker thread")
  void hsmOperationsRunOnTheWorker() {
    try (TestNode node = TestNode.start(new JsonObject().put("hsm", new JsonObject().put("sessions", 2)))) {
      Issuer idp = node.createTenant("worker", "RSA-2048");
      Issuer idp2 = node.createTenant("worker-ec", "EC-P256");
      JsonObject policy = new JsonObject().put("grants", new JsonArray()
          .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));
      for (var t : Map.of("worker", idp, "worker-ec", idp2).entrySet()) {
        String token = t.getValue().token("u@example.test", List.of());
        String pl = RmsClient.publishOffline(node.http.get("/v1/tenants/" + t.getKey() + "/keys/current", token).json(),
            RmsClient.plPayload("c", "u@example.test", RmsClient.newContentKey(), policy));
        for (int i = 0; i < 20; i++) {
          Http.Response r = node.http.post("/v1/tenants/" + t.getKey() + "/licenses", token,
              new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))));
          assertThat(r.status()).isEqualTo(200);
        }
      }
      Map<String, Long> byThread = node.node.hsmStats().operationsByThread();
      // 2 key generations + 40 licenses × (unwrap + sign), plus readiness pings if any
      assertThat(byThread.values().stream().mapToLong(Long::longValue).sum()).isGreaterThanOrEqualTo(82);
      assertThat(byThread.keySet()).allMatch(name -> name.startsWith("licensor-hsm"), "HSM worker threads");
      assertThat(node.eventLoopWarnings()).isEmpty();
    }
  }

  @Test
  @DisplayName("the software HSM refuses to run on an event loop")
  void softwareHsmRefusesEventLoop() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      SoftwareHsm hsm = new SoftwareHsm(new WorldKey("wtest", new byte[32]), 16);
      CompletableFuture<Throwable> thrown = new CompletableFuture<>();
      vertx.runOnContext(v -> {
        try {
          hsm.generate(KeyAlgorithm.EC_P256);
          thrown.complete(null);
        } catch (Throwable t) {
          thrown.complete(t);
        }
      });
      assertThat(thrown.get(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("event-loop");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a key token works only under its own world, and a tampered token is refused")
  void keyTokensAreBoundToTheirWorld() {
    SoftwareHsm world1 = new SoftwareHsm(new WorldKey("w1", filled(1)), 16);
    SoftwareHsm world2 = new SoftwareHsm(new WorldKey("w1", filled(2)), 16);
    GeneratedKey key = world1.generate(KeyAlgorithm.RSA_2048);
    KeyRef ref = new KeyRef("t:1", KeyAlgorithm.RSA_2048, key.token());
    assertThat(world1.load(ref)).isEqualTo(key.publicKey());
    assertThat(key.token().encode()).doesNotContain(Base64.getUrlEncoder().withoutPadding()
        .encodeToString(Arrays.copyOf(key.publicKey().getEncoded(), 16)));
    assertThatThrownBy(() -> world2.load(ref)).isInstanceOf(HsmException.class)
        .extracting(e -> ((HsmException) e).reason()).isEqualTo(HsmException.Reason.KEY_UNAVAILABLE);
    byte[] tampered = key.token().wrapped().clone();
    tampered[10] ^= 1;
    assertThatThrownBy(() -> world1.load(new KeyRef("t:2", KeyAlgorithm.RSA_2048, new KeyToken("w1", tampered))))
        .isInstanceOf(HsmException.class);
    assertThatThrownBy(() -> world1.load(new KeyRef("t:3", KeyAlgorithm.RSA_2048, new KeyToken("w9", key.token().wrapped()))))
        .isInstanceOf(HsmException.class).hasMessageContaining("another security world");
    // the attributes are bound to the key: marking an imported (non-extractable) key extractable is refused
    KeyPairGenerator g;
    try {
      g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    GeneratedKey imported = world1.importPrivateKey(KeyAlgorithm.EC_P256, g.generateKeyPair().getPrivate().getEncoded());
    byte[] forged = imported.token().wrapped().clone();
    forged[1] |= 1;
    assertThatThrownBy(() -> world1.exportPkcs8(new KeyRef("t:4", KeyAlgorithm.EC_P256, new KeyToken("w1", forged))))
        .isInstanceOf(HsmException.class).hasMessageContaining("altered");
  }

  @Test
  @DisplayName("an imported (BYOK) key is not extractable from the HSM itself; a generated one is")
  void importedKeysAreNotExtractable() throws Exception {
    SoftwareHsm hsm = new SoftwareHsm(new WorldKey("w1", filled(3)), 16);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair pair = g.generateKeyPair();
    GeneratedKey imported = hsm.importPrivateKey(KeyAlgorithm.EC_P384, pair.getPrivate().getEncoded());
    assertThat(imported.publicKey()).isEqualTo(pair.getPublic());
    assertThatThrownBy(() -> hsm.exportPkcs8(new KeyRef("t:1", KeyAlgorithm.EC_P384, imported.token())))
        .isInstanceOf(HsmException.class)
        .extracting(e -> ((HsmException) e).reason()).isEqualTo(HsmException.Reason.NOT_EXTRACTABLE);
    assertThatThrownBy(() -> hsm.importPrivateKey(KeyAlgorithm.EC_P256, pair.getPrivate().getEncoded()))
        .isInstanceOf(HsmException.class);
    GeneratedKey generated = hsm.generate(KeyAlgorithm.EC_P256);
    assertThat(hsm.exportPkcs8(new KeyRef("t:2", KeyAlgorithm.EC_P256, generated.token()))).isNotEmpty();
  }

  private static byte[] filled(int b) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) b);
    return k;
  }
}
