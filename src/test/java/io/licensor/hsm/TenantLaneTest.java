package io.licensor.hsm;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tenant's operations on its key-exchange keys (BYOK imports) wait in the same HSM lane as its
 * operations on its tenant key, so they count against the same per-tenant bound: a tenant cannot
 * take a second share of the sessions by using its KEKs.
 */
@DisplayName("A tenant's key and KEK operations share one HSM lane")
class TenantLaneTest {

  private final Vertx vertx = Vertx.vertx();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void close() throws Exception {
    release.countDown();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** An HSM whose every operation waits until the test releases it: the session stays busy. */
  private Hsm heldHsm() {
    return (Hsm) Proxy.newProxyInstance(Hsm.class.getClassLoader(), new Class<?>[] {Hsm.class}, (proxy, method, args) -> {
      if (method.getName().equals("close")) {
        return null;
      }
      release.await(30, TimeUnit.SECONDS);
      return method.getName().equals("sign") ? new byte[64] : null;
    });
  }

  private static KeyRef ref(String kid) {
    return new KeyRef(kid, KeyAlgorithm.RSA_2048, null);
  }

  @Test
  @DisplayName("with the tenant's lane full, its KEK import is refused busy while another tenant's operation is taken")
  void kekOperationsCountAgainstTheTenantsLane() throws Exception {
    HsmStats stats = new HsmStats();
    HsmClient.registerCodec(vertx);
    vertx.deployVerticle(() -> new HsmWorker(heldHsm(), stats), new DeploymentOptions()
        .setThreadingModel(ThreadingModel.WORKER).setInstances(1)).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    // one session: two operations at the session at once; each lane holds two more
    HsmClient client = new HsmClient(vertx, 100, 2, 1, 30_000, 1, stats, 4, 1);
    CompletableFuture<List<Future<?>>> offered = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(client.sign(ref("acme:1"), new byte[] {1}));
      }
      calls.add(client.importTransfer(ref("kek:acme:00ff00ff00ff00ff"), new byte[512], "SHA-256", KeyAlgorithm.RSA_2048));
      calls.add(client.sign(ref("globex:1"), new byte[] {1}));
      offered.complete(calls);
    });
    List<Future<?>> calls = offered.get(10, TimeUnit.SECONDS);
    // the four tenant-key operations: two at the session, two in acme's lane
    for (int i = 0; i < 4; i++) {
      assertThat(calls.get(i).isComplete()).as("acme operation %d taken", i).isFalse();
    }
    Future<?> kekImport = calls.get(4);
    assertThat(kekImport.failed()).as("acme's KEK import, with acme's lane full").isTrue();
    assertThat(kekImport.cause()).isInstanceOf(HsmBusyException.class);
    assertThat(calls.get(5).isComplete()).as("globex's operation waits in its own lane").isFalse();
  }
}
