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
  /** For operations whose session reports the result itself ({@link HsmOperation.Reporting}): no reply. */
  private final DeliveryOptions reportedOptions;
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
    this.reportedOptions = new DeliveryOptions().setLocalOnly(true).setCodecName(LocalObjectCodec.NAME);
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
   * Queues the operation in its lane. When its turn comes it is sent to a session from whichever
   * thread frees the slot (the session that just finished, usually), and the session reports its
   * result itself: the next operation reaches the HSM without waiting for any event loop, and only
   * the caller's continuation goes back to the caller's event loop. (Before, each slot passed
   * through the callers' event loops twice, reply then next send; under a burst of TLS handshakes
   * the sessions idled while their queue filled, and licensing answered 503 hsm-busy for seconds.)
   */
  private <T> Future<T> sendInLane(String lane, HsmOperation operation) {
    if (!reserve()) {
      return Future.failedFuture(new HsmBusyException(retryAfterSeconds));
    }
    LaneCall<T> call = new LaneCall<>(operation, vertx.getOrCreateContext(), System.nanoTime() + timeoutNanos);
    if (!lanes.offer(lane, call)) {
      inFlight.decrementAndGet();
      return Future.failedFuture(new HsmBusyException(retryAfterSeconds));
    }
    call.armTimer();
    return call.promise.future();
  }

  /**
   * An operation on a tenant's key, from its lane to a session and back. Its state moves once from
   * waiting to started to finished (or from waiting to finished, expired), so its slot and its
   * place in the node's bound are given back exactly once, by whichever of the session's report,
   * the expiry in the lane or the timer comes first.
   */
  private final class LaneCall<T> implements FairDispatch.Waiting, HsmOperation.Reporting {
    private static final int WAITING = 0;
    private static final int STARTED = 1;
    private static final int FINISHED = 2;

    private final HsmOperation operation;
    private final Context context;
    private final long deadline;
    private final Promise<T> promise = Promise.promise();
    private final AtomicInteger state = new AtomicInteger(WAITING);
    private volatile long timer = -1;

    LaneCall(HsmOperation operation, Context context, long deadline) {
      this.operation = operation;
      this.context = context;
      this.deadline = deadline;
    }

    /**
     * On the caller's context: fails the call once it waited and ran for longer than the timeout
     * twice over (it may wait up to the timeout in its lane, and run up to the timeout at a session),
     * even when the session running it never answers.
     */
    void armTimer() {
      long id = vertx.setTimer(2 * TimeUnit.NANOSECONDS.toMillis(timeoutNanos), t -> {
        if (state.compareAndSet(STARTED, FINISHED)) {
          inFlight.decrementAndGet();
          lanes.finished();
          promise.tryFail(timedOut());
        } else if (state.compareAndSet(WAITING, FINISHED)) {
          inFlight.decrementAndGet();
          promise.tryFail(timedOut());
        }
      });
      timer = id;
      if (state.get() == FINISHED) {
        vertx.cancelTimer(id);
      }
    }

    @Override
    public Object run(Hsm hsm) {
      return operation.run(hsm);
    }

    @Override
    public void start() {
      if (!state.compareAndSet(WAITING, STARTED)) {
        lanes.finished(); // the timer failed it meanwhile: its slot goes to the next one
        return;
      }
      vertx.eventBus().send(HsmWorker.ADDRESS, this, reportedOptions);
    }

    /** From the session, on its thread: the slot goes to the next operation at once. */
    @Override
    public void done(Object reply) {
      if (!state.compareAndSet(STARTED, FINISHED)) {
        return;
      }
      cancelTimer();
      inFlight.decrementAndGet();
      lanes.finished();
      context.runOnContext(v -> complete(reply));
    }

    private void complete(Object reply) {
      Future<T> answer = answer(reply);
      if (answer.succeeded()) {
        promise.tryComplete(answer.result());
      } else {
        promise.tryFail(answer.cause());
      }
    }

    @Override
    public void expire() {
      if (state.compareAndSet(WAITING, FINISHED)) {
        cancelTimer();
        inFlight.decrementAndGet();
        context.runOnContext(v -> promise.tryFail(timedOut()));
      }
    }

    private void cancelTimer() {
      long id = timer;
      if (id >= 0) {
        vertx.cancelTimer(id);
      }
    }

    @Override
    public long deadlineNanos() {
      return deadline;
    }
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
          return answer(ar.result().body());
        });
  }

  /** What a session answered ({@link HsmWorker}: the result, {@link #DONE} for none, or the failure) as a future. */
  @SuppressWarnings("unchecked")
  private static <T> Future<T> answer(Object body) {
    if (body instanceof HsmException e) {
      return Future.failedFuture(e);
    }
    return Future.succeededFuture(body == DONE ? null : (T) body);
  }
}
