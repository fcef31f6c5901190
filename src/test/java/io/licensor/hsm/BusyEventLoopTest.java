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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sessions go on with the operations queued for them while the event loop that queued them
 * is busy (TLS handshakes, a burst of requests, a GC pause's backlog). Found under load: each
 * session's next operation used to pass through the callers' event loops (the reply, then the next
 * send), so a burst of new TLS connections left the sessions idle while their queue filled up, and
 * licensing answered 503 hsm-busy for seconds.
 */
@DisplayName("The HSM sessions do not wait for a busy event loop")
class BusyEventLoopTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("fifty signatures queued on an event loop run while that event loop is blocked, and their results come back to it")
  void queuedOperationsRunWhileTheirEventLoopIsBusy() throws Exception {
    AtomicInteger signed = new AtomicInteger();
    Hsm hsm = (Hsm) Proxy.newProxyInstance(Hsm.class.getClassLoader(), new Class<?>[] {Hsm.class}, (proxy, method, args) -> {
      if (method.getName().equals("sign")) {
        signed.incrementAndGet();
        return new byte[64];
      }
      return null;
    });
    HsmStats stats = new HsmStats();
    HsmClient.registerCodec(vertx);
    vertx.deployVerticle(() -> new HsmWorker(hsm, stats), new DeploymentOptions()
        .setThreadingModel(ThreadingModel.WORKER).setInstances(1)).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    // one session, so two operations at the session at once; the other 48 wait in the tenant's lane
    HsmClient client = new HsmClient(vertx, 100, 100, 1, 30_000, 1, stats, 4, 1);
    CompletableFuture<Integer> duringBusyLoop = new CompletableFuture<>();
    CompletableFuture<List<Future<byte[]>>> queued = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      List<Future<byte[]>> calls = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        calls.add(client.sign(new KeyRef("acme:1", KeyAlgorithm.RSA_2048, null), new byte[] {1}));
      }
      queued.complete(calls);
      // the event loop is now busy for 800 ms, as it is with a burst of handshakes to do
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800);
      while (System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      duringBusyLoop.complete(signed.get());
    });
    assertThat(duringBusyLoop.get(10, TimeUnit.SECONDS))
        .as("signatures the session made while the event loop that asked for them was busy")
        .isEqualTo(50);
    for (Future<byte[]> call : queued.get(10, TimeUnit.SECONDS)) {
      assertThat(call.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)).hasSize(64);
    }
  }
}
