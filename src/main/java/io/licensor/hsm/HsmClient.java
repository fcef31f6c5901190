package io.licensor.hsm;

import io.licensor.ids.Kid;
import io.licensor.metrics.Metrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;

import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's way to the HSM workers. Every call is an event-bus request to a worker; the number
 * of requests queued or running is bounded, and a call beyond the bound fails at once with
 * {@link HsmBusyException} instead of joining an unbounded backlog.
 *
 * <p>Operations on a tenant's keys wait in that tenant's lane and reach the sessions in
 * round-robin order ({@link FairDispatch}), so one tenant's flood cannot queue ahead of every other
 * tenant; a lane is bounded too. Key generation has a session of its own and does not queue here.
 */
public final class HsmClient {

  static final Object DONE = new Object();

  private final Vertx vertx;
  private final int capacity;
  private final int retryAfterSeconds;
  private final DeliveryOptions options;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final HsmStats stats;
  private volatile Metrics metrics;

  private final FairDispatch lanes;
  private final long timeoutNanos;
  /** Key generations queued or running on the key-generation session: bounded apart from the rest. */
  private final AtomicInteger generating = new AtomicInteger();
  private final int generationCapacity;
  /** Exports whose password-based encryption is queued or running on the export pool. */
  private final AtomicInteger exporting = new AtomicInteger();
  private final int exportCapacity;
  private final WorkerExecutor exportPool;
  private final SecureRandom random = new SecureRandom();

  /** One lane may hold up to a quarter of the capacity; the sessions take {@code 2 × sessions} at once. */
  public HsmClient(Vertx vertx, int capacity, int timeoutMs, int retryAfterSeconds, HsmStats stats) {
    this(vertx, capacity, Math.max(1, capacity / 4), 1, timeoutMs, retryAfterSeconds, stats, 64, 1);
  }

  /**
   * @param generationCapacity key generations queued or running at once (RSA-4096 takes seconds each)
   * @param exportThreads      threads of the export pool; twice as many exports may wait or run
   */
  public HsmClient(Vertx vertx, int capacity, int laneCapacity, int sessions, int timeoutMs, int retryAfterSeconds,
      HsmStats stats, int generationCapacity, int exportThreads) {
    this.vertx = vertx;
    this.capacity = capacity;
    this.generationCapacity = generationCapacity;
    this.exportCapacity = 2 * exportThreads;
    this.exportPool = vertx.createSharedWorkerExecutor("licensor-export", exportThreads,
        TimeUnit.MILLISECONDS.toNanos(Math.max(timeoutMs, 10_000)));
    // two per session: one running, one already at the session when it finishes, so it never idles
    this.lanes = new FairDispatch(2 * sessions, laneCapacity);
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    this.retryAfterSeconds = retryAfterSeconds;
    this.stats = stats;
    this.options = new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeoutMs).setCodecName(LocalObjectCodec.NAME);
  }

  /** Registers the local codec; call once per Vert.x instance before deploying workers. */
  public static void registerCodec(Vertx vertx) {
    vertx.eventBus().registerCodec(new LocalObjectCodec());
  }

  /**
   * Runs on the key-generation session: an RSA-4096 key takes seconds, and licensing must not wait
   * for it. Generations have their own bound: beyond it, {@link HsmBusyException} at once.
   */
  public Future<GeneratedKey> generate(KeyAlgorithm algorithm) {
    return call(HsmWorker.KEY_GENERATION_ADDRESS, null, "generate", hsm -> hsm.generate(algorithm));
  }

  public Future<GeneratedKey> importPrivateKey(KeyAlgorithm algorithm, byte[] pkcs8) {
    return call(NODE_LANE, "import", hsm -> {
      try {
        return hsm.importPrivateKey(algorithm, pkcs8);
      } finally {
        Arrays.fill(pkcs8, (byte) 0);
      }
    });
  }

  public Future<GeneratedKey> generateKek() {
    return call(HsmWorker.KEY_GENERATION_ADDRESS, null, "generate-kek", Hsm::generateKek);
  }

  public Future<GeneratedKey> importTransfer(KeyRef kek, byte[] ciphertext, String oaepHash, KeyAlgorithm algorithm) {
    return call(lane(kek), "import-transfer", hsm -> hsm.importTransfer(kek, ciphertext, oaepHash, algorithm));
  }

  /**
   * An extractable key as an encrypted PKCS#8 PEM ({@link ExportEncryption}). The HSM's part (the
   * key out of its token) is one quick operation in the key's lane; the password-based encryption,
   * hundreds of milliseconds of PBKDF2, runs on the export pool, so a flood of exports costs the
   * other tenants' operations nothing on the HSM sessions. At most {@code 2 × exportThreads} exports
   * wait or run on this node; beyond that, {@link HsmBusyException} at once. Zeroes {@code password}.
   */
  public Future<String> exportEncrypted(KeyRef key, char[] password) {
    if (exporting.incrementAndGet() > exportCapacity) {
      exporting.decrementAndGet();
      Arrays.fill(password, '\0');
      return Future.failedFuture(new HsmBusyException("this node is encrypting as many exports as it may", retryAfterSeconds));
    }
    return this.<byte[]>call(lane(key), "export", hsm -> hsm.exportPkcs8(key))
        .compose(pkcs8 -> exportPool.executeBlocking(() -> {
          try {
            return ExportEncryption.encryptedPem(pkcs8, key.algorithm(), password, random);
          } finally {
            Arrays.fill(pkcs8, (byte) 0);
          }
        }, false))
        .onComplete(ar -> {
          exporting.decrementAndGet();
          Arrays.fill(password, '\0');
        });
  }

  public Future<byte[]> worldMac(byte[] data) {
    return call(NODE_LANE, "world-mac", hsm -> hsm.worldMac(data));
  }

  /** Drops loaded copies of a key on this node's HSM (after it was destroyed). */
  public Future<Void> forget(String kid) {
    return call(NODE_LANE, "forget", hsm -> {
      hsm.forget(kid);
      return null;
    });
  }

  /** The key's token in today's custody (see {@link Hsm#custody}). */
  public Future<KeyToken> custody(KeyRef key) {
    return call(lane(key), "custody", hsm -> hsm.custody(key));
  }

  public Future<PublicKey> load(KeyRef key) {
    return call(lane(key), "load", hsm -> hsm.load(key));
  }

  public Future<byte[]> decryptOaepSha256(KeyRef key, byte[] ciphertext) {
    return call(lane(key), "unwrap-rsa", hsm -> hsm.decryptOaepSha256(key, ciphertext));
  }

  public Future<byte[]> agree(KeyRef key, ECPublicKey peer) {
    return call(lane(key), "unwrap-ecdh", hsm -> hsm.agree(key, peer));
  }

  public Future<byte[]> sign(KeyRef key, byte[] signingInput) {
    return call(lane(key), "sign", hsm -> hsm.sign(key, signingInput));
  }

  /** A delegated signing key for a use license of the version {@code kid}, in the tenant's lane. */
  public Future<SigningKeyHandle> generateSigningKey(String kid) {
    return call(Kid.tenantOf(kid), "signing-key", Hsm::generateSigningKey);
  }

  /** ES256 with a delegated signing key of the version {@code kid}. */
  public Future<byte[]> signWithSigningKey(String kid, String handle, byte[] signingInput) {
    return call(Kid.tenantOf(kid), "sign-delegated", hsm -> hsm.signWithSigningKey(handle, signingInput));
  }

  public Future<Void> destroySigningKey(String handle) {
    return call(NODE_LANE, "destroy-signing-key", hsm -> {
      hsm.destroySigningKey(handle);
      return null;
    });
  }

  /** Asks a worker for the world id: proves a worker is alive and the world is loaded. */
  public Future<String> ping() {
    return call(NODE_LANE, "ping", Hsm::worldId);
  }

  /** Requests queued or running on this node's HSM workers now. */
  public int queueDepth() {
    return inFlight.get();
  }

  public int capacity() {
    return capacity;
  }

  public HsmStats stats() {
    return stats;
  }

  /** The lane of operations on no tenant's key (world MAC, health pings, imports before a tenant exists). */
  static final String NODE_LANE = "";

  /** A key's tenant, a key version's or a key-exchange key's: one lane for all of a tenant's operations. */
  static String lane(KeyRef key) {
    return Kid.tenantOf(key.kid());
  }

  private <T> Future<T> call(String lane, String name, HsmOperation operation) {
    return call(HsmWorker.ADDRESS, lane, name, operation);
  }

  /** Reports each operation's latency and outcome to the node's metrics. */
  public HsmClient withMetrics(Metrics metrics) {
    this.metrics = metrics;
    return this;
  }

  private <T> Future<T> call(String address, String lane, String name, HsmOperation operation) {
    long started = System.nanoTime();
    Future<T> result = lane == null ? send(address, operation) : sendInLane(lane, operation);
    Metrics m = metrics;
    if (m != null) {
      result.onComplete(ar -> m.hsm(name, ar.succeeded() ? "ok" : ar.cause() instanceof HsmBusyException ? "busy"
          : ar.cause() instanceof HsmException h ? h.reason().name().toLowerCase(Locale.ROOT) : "error",
          System.nanoTime() - started));
    }
    return result;
  }

  private <T> Future<T> send(String address, HsmOperation operation) {
    if (HsmWorker.KEY_GENERATION_ADDRESS.equals(address)) {
      if (generating.incrementAndGet() > generationCapacity) {
        generating.decrementAndGet();
        return Future.failedFuture(new HsmBusyException("this node is generating as many keys as it may", retryAfterSeconds));
      }
      return this.<T>request(address, operation, generating);
    }
    return reserve() ? request(address, operation, inFlight) : Future.failedFuture(new HsmBusyException(retryAfterSeconds));
  }

  /** Counts one more operation queued or running, unless the node's bound is reached. */
  private boolean reserve() {
    if (inFlight.incrementAndGet() > capacity) {
      inFlight.decrementAndGet();
      return false;
    }
    return true;
  }

  /** An operation that waited or ran longer than {@code hsm.timeoutMs}: the HSM is busy (503 with Retry-After), not broken. */
  private HsmBusyException timedOut() {
    return new HsmBusyException("the HSM did not answer in time", retryAfterSeconds);
  }

  /**
   * Queues the operation in its lane; it is sent on the caller's context when its turn comes, so
   * the reply comes back to the caller's event loop.
   */
  private <T> Future<T> sendInLane(String lane, HsmOperation operation) {
    if (!reserve()) {
      return Future.failedFuture(new HsmBusyException(retryAfterSeconds));
    }
    Context context = vertx.getOrCreateContext();
    Promise<T> promise = Promise.promise();
    long deadline = System.nanoTime() + timeoutNanos;
    FairDispatch.Waiting waiting = new FairDispatch.Waiting() {
      @Override
      public void start() {
        if (Vertx.currentContext() == context) {
          send();
        } else {
          context.runOnContext(v -> send());
        }
      }

      private void send() {
        HsmClient.this.<T>request(HsmWorker.ADDRESS, operation, inFlight).onComplete(ar -> {
          lanes.finished();
          promise.handle(ar);
        });
      }

      @Override
      public void expire() {
        inFlight.decrementAndGet();
        context.runOnContext(v -> promise.fail(timedOut()));
      }

      @Override
      public long deadlineNanos() {
        return deadline;
      }
    };
    if (!lanes.offer(lane, waiting)) {
      inFlight.decrementAndGet();
      return Future.failedFuture(new HsmBusyException(retryAfterSeconds));
    }
    return promise.future();
  }

  @SuppressWarnings("unchecked")
  private <T> Future<T> request(String address, HsmOperation operation, AtomicInteger counted) {
    return vertx.eventBus().request(address, operation, options)
        .transform(ar -> {
          counted.decrementAndGet();
          if (ar.failed()) {
            Throwable cause = ar.cause();
            if (cause instanceof ReplyException) {
              return Future.failedFuture(timedOut());
            }
            return Future.failedFuture(cause);
          }
          Object body = ar.result().body();
          if (body instanceof HsmException e) {
            return Future.failedFuture(e);
          }
          return Future.succeededFuture(body == DONE ? null : (T) body);
        });
  }
}
