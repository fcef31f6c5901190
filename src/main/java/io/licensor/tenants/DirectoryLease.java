package io.licensor.tenants;

import io.licensor.errors.Problem;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The proof that this node's key directory is current: a lease, renewed against the database every
 * quarter of its length. A renewal reads the directory epoch (raised by every tenant change, in
 * commit order), reloads the cached tenants changed since the epoch it last applied, and records
 * in {@code node_leases} that this node has applied that epoch; the lease then runs from the
 * moment the renewal began. While it runs the node serves from its cache; once it has lapsed —
 * the node was paused, cut off from the database, or too slow — the node renews before it answers
 * and, failing that, refuses (503 directory-unconfirmed). A lifecycle call, for its part, waits
 * until every live lease has applied its change or has lapsed ({@code cluster.ChangeNotices}), so
 * no node serves the old state after the call returns — whatever Hazelcast thinks of membership.
 */
public final class DirectoryLease {

  private static final Logger LOG = LoggerFactory.getLogger(DirectoryLease.class);
  /** Beyond this many changed tenants since the last renewal, the whole cache is dropped instead. */
  private static final int CHANGED_LIMIT = 1000;

  private final Vertx vertx;
  private final LeaseStore store;
  private final KeyDirectory directory;
  private final long leaseMillis;
  private final String leaseId;
  private final String nodeName;
  private final Supplier<String> memberId;
  private final AtomicReference<Future<Void>> renewing = new AtomicReference<>();
  private volatile long validUntilNanos = System.nanoTime();
  private volatile boolean everValid;
  private volatile long epochApplied = -1;
  private volatile long lastRenewalMillis;
  private volatile long lastFailureLog;
  private long timer = -1;

  public DirectoryLease(Vertx vertx, LeaseStore store, KeyDirectory directory, long leaseMillis, String nodeName,
                        Supplier<String> memberId) {
    this.vertx = vertx;
    this.store = store;
    this.directory = directory;
    this.leaseMillis = leaseMillis;
    this.nodeName = nodeName;
    this.memberId = memberId;
    this.leaseId = nodeName + "/" + UUID.randomUUID();
  }

  /** Takes the first lease, then renews every quarter of its length. */
  public Future<Void> start() {
    return renew().onSuccess(v -> {
      timer = vertx.setPeriodic(Math.max(50, leaseMillis / 4), t -> renew());
      vertx.setPeriodic(600_000, t -> store.purge());
    });
  }

  /** Stops renewing and gives the lease up (a clean stop: no lifecycle call need wait for it). */
  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    validUntilNanos = System.nanoTime();
    return store.release(leaseId).otherwiseEmpty();
  }

  public String leaseId() {
    return leaseId;
  }

  public long leaseMillis() {
    return leaseMillis;
  }

  /** Whether the lease runs now: the cache was current at most a lease length ago. */
  public boolean valid() {
    return everValid && System.nanoTime() - validUntilNanos < 0;
  }

  /** Until when the lease runs ({@link System#nanoTime} scale); in the past before the first renewal. */
  public long validUntilNanos() {
    return everValid ? validUntilNanos : System.nanoTime() - 1;
  }

  /** The last directory epoch whose changes this node applied (-1 before the first renewal). */
  public long epochApplied() {
    return epochApplied;
  }

  /** Milliseconds since the last successful renewal began (-1 if none). */
  public long ageMillis() {
    return lastRenewalMillis == 0 ? -1 : System.currentTimeMillis() - lastRenewalMillis;
  }

  /**
   * Succeeds once the lease runs: at once if it does, else after a renewal (twice at most, for a
   * renewal that itself took longer than the lease). Fails 503 directory-unconfirmed when the
   * database cannot be reached to renew it.
   */
  public Future<Void> confirm() {
    return confirm(2);
  }

  private Future<Void> confirm(int attempts) {
    if (valid()) {
      return Future.succeededFuture();
    }
    return renew().transform(ar -> {
      if (valid()) {
        return Future.succeededFuture();
      }
      if (ar.succeeded() && attempts > 1) {
        return confirm(attempts - 1);
      }
      return Future.failedFuture(Problem.DIRECTORY_UNCONFIRMED.with("this node cannot prove its tenant data current: its lease "
              + "could not be renewed against the database" + (ar.failed() ? " (" + ar.cause().getMessage() + ")" : " in time"))
          .header("Retry-After", "1"));
    });
  }

  /** Renews the lease; concurrent callers share one renewal. */
  Future<Void> renew() {
    Future<Void> running = renewing.get();
    if (running != null) {
      return running;
    }
    Promise<Void> mine = Promise.promise();
    if (!renewing.compareAndSet(null, mine.future())) {
      return renewing.get();
    }
    long began = System.nanoTime();
    long beganMillis = System.currentTimeMillis();
    store.epoch()
        .compose(this::apply)
        .compose(epoch -> store.renew(leaseId, nodeName, memberId.get(), leaseMillis, epoch).map(epoch))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            epochApplied = ar.result();
            long until = began + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
            if (!everValid || until - validUntilNanos > 0) {
              validUntilNanos = until;
            }
            everValid = true;
            lastRenewalMillis = beganMillis;
          } else {
            long now = System.currentTimeMillis();
            if (now - lastFailureLog > 5_000) {
              lastFailureLog = now;
              LOG.warn("directory lease not renewed ({}); {}", ar.cause().toString(), valid()
                  ? "the cache is proven current for a while yet" : "tenants are refused until it is (503 directory-unconfirmed)");
            }
          }
          renewing.set(null);
          mine.handle(ar.mapEmpty());
        });
    return mine.future();
  }

  /** Applies the changes up to {@code epoch}: reloads the cached tenants they touched. */
  private Future<Long> apply(long epoch) {
    long from = epochApplied;
    if (from < 0) {
      directory.invalidateAll(); // the first lease of this start: nothing cached before it is trusted
      return Future.succeededFuture(epoch);
    }
    if (epoch <= from) {
      return Future.succeededFuture(from);
    }
    return store.changedSince(from, epoch, CHANGED_LIMIT + 1).compose(ids -> {
      if (ids.size() > CHANGED_LIMIT) {
        directory.invalidateAll();
        return Future.succeededFuture(epoch);
      }
      List<Future<?>> reloads = new ArrayList<>();
      for (String id : ids) {
        if (directory.cached(id).isPresent()) {
          reloads.add(directory.refresh(id));
        }
      }
      return Future.all(reloads).map(x -> epoch);
    });
  }
}
