package io.licensor.tenants;

import io.licensor.errors.Problem;
import io.licensor.ids.TenantId;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The node's key directory: tenant → tenant record and key versions, cached from the database
 * (the source of truth). How a node learns of changes made elsewhere in the cluster:
 * <ul>
 *   <li>a change notice makes it {@link #refresh} the tenant at once;</li>
 *   <li>a {@link #sweep} every refresh period compares the cached revision of every cached tenant
 *       with the database's and reloads those that moved — the bound on the rollover window for a
 *       node that missed a notice;</li>
 *   <li>an entry not confirmed for two periods (sweeps failing) is reloaded before it is used;</li>
 *   <li>a PL naming a version newer than the cache knows reloads the tenant before a 404 (one
 *       reload at a time per tenant, shared by the requests that arrived before it started).</li>
 * </ul>
 * A load never replaces a newer entry with an older one (entries carry the tenant's revision), so
 * a slow load that started before a change cannot undo a refresh that saw it. When a key token
 * disappears or changes (destroy, restore), the {@code keyRetired} hook makes the HSM forget it.
 */
public final class KeyDirectory {

  private static final int SWEEP_CHUNK = 1000;

  private final TenantStore store;
  private final long refreshMillis;
  private final Map<String, TenantKeys> cache = new ConcurrentHashMap<>();
  private final Map<String, Future<Optional<TenantKeys>>> loading = new ConcurrentHashMap<>();
  private final Map<String, Forced> forced = new ConcurrentHashMap<>();
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private volatile Function<String, Future<Void>> keyRetired = kid -> Future.succeededFuture();
  private volatile long lastSweepMillis;
  private volatile DirectoryLease lease;

  public KeyDirectory(TenantStore store, long refreshMillis) {
    this.store = store;
    this.refreshMillis = refreshMillis;
  }

  /** Called with the kid of every cached key version whose key token was destroyed or replaced. */
  public void onKeyRetired(Function<String, Future<Void>> hook) {
    this.keyRetired = Objects.requireNonNull(hook);
  }

  /**
   * From now on the cache is used only while {@code lease} runs; once it has lapsed, a lookup waits
   * for its renewal, or fails 503 directory-unconfirmed.
   */
  public void guardWith(DirectoryLease lease) {
    this.lease = lease;
  }

  /**
   * Until when what the cache holds now is proven current: taken when a request begins, before it
   * reads the tenant, and handed to {@link #recheck} just before the answer is given.
   */
  public long leaseStamp() {
    DirectoryLease l = lease;
    return l == null ? System.nanoTime() + TimeUnit.DAYS.toNanos(365) : l.validUntilNanos();
  }

  /**
   * Just before an answer computed from the cache is given (a license signed, content sealed), the
   * tenant's state is read again: a change this node applied while the request worked (a notice,
   * a lease renewal) may have been confirmed to the caller of a lifecycle call meanwhile, and an
   * answer computed before it must not be given after it. If the lease under which the request
   * began ({@code stamp}, from {@link #leaseStamp}) has run out meanwhile — the node was paused
   * while it worked — the lease is renewed first: a renewal made meanwhile by another request is
   * not enough, it proves the cache, not what this request read from it.
   */
  public Future<Void> recheck(String tenantId, int version, long stamp) {
    DirectoryLease l = lease;
    Future<Void> proven = runs(l, stamp) ? Future.succeededFuture() : onCallerContext(l.confirm());
    return proven.compose(v -> version > 0 ? versionForLicensing(tenantId, version).mapEmpty()
        : activeForPublishing(tenantId).mapEmpty());
  }

  /** Whether the lease a request began under ({@code stamp}, from {@link #leaseStamp}) still runs. */
  public boolean leaseRuns(long stamp) {
    return runs(lease, stamp);
  }

  private static boolean runs(DirectoryLease l, long stamp) {
    return l == null || System.nanoTime() - stamp < 0;
  }

  /** Drops every cached tenant: each reloads at its next use. */
  public void invalidateAll() {
    cache.clear();
  }

  /** The refresh period: how long a node may go on using what it knows without checking. */
  public long refreshMillis() {
    return refreshMillis;
  }

  /** The tenant as this node knows it, loading it if absent or unconfirmed for too long. */
  public Future<Optional<TenantKeys>> get(String tenantId) {
    if (!TenantId.isValid(tenantId)) {
      return Future.succeededFuture(Optional.empty());
    }
    DirectoryLease l = lease;
    if (l != null && !l.valid()) {
      return onCallerContext(l.confirm()).compose(v -> current(tenantId));
    }
    return current(tenantId);
  }

  /** As {@link #get}, the lease running. */
  private Future<Optional<TenantKeys>> current(String tenantId) {
    TenantKeys cached = cache.get(tenantId);
    if (cached != null && System.currentTimeMillis() - cached.loadedAtMillis() < 2 * refreshMillis) {
      return Future.succeededFuture(Optional.of(cached));
    }
    // Concurrent loads of an absent or stale tenant share one query. The load starts outside the
    // map's update: one that completes at once (its pool failing before it returns) used to remove
    // its own entry from inside computeIfAbsent; the "Recursive update" that threw became the
    // future's failure, stayed in the map, and every later request for the tenant got a 500.
    Future<Optional<TenantKeys>> shared = loading.get(tenantId);
    if (shared == null) {
      Promise<Optional<TenantKeys>> mine = Promise.promise();
      shared = loading.putIfAbsent(tenantId, mine.future());
      if (shared == null) {
        shared = mine.future();
        load(tenantId).onComplete(ar -> {
          loading.remove(tenantId, mine.future());
          mine.handle(ar);
        });
      }
    }
    return onCallerContext(shared);
  }

  /**
   * Reloads the tenant from the database with a query that starts now (never one already in
   * flight, which may predate the change being learnt of). Completes once the HSM has forgotten
   * any key the change retired.
   */
  public Future<Optional<TenantKeys>> refresh(String tenantId) {
    if (!TenantId.isValid(tenantId)) {
      return Future.succeededFuture(Optional.empty());
    }
    return onCallerContext(load(tenantId));
  }

  /** A reload of one tenant that started no earlier than {@code startedNanos}. */
  private record Forced(long startedNanos, Future<Optional<TenantKeys>> future) {
  }

  /**
   * A reload that started no earlier than {@code sinceNanos}: joins the one in flight if it
   * started after that, else starts one once the one in flight ends. So a request that names a
   * version the cache does not know is answered from the database as it was when the request
   * arrived, and a stream of PLs naming unknown versions costs one query at a time per tenant,
   * never a query each.
   */
  private Future<Optional<TenantKeys>> refreshSince(String tenantId, long sinceNanos) {
    Forced f = forced.compute(tenantId, (id, current) -> {
      if (current != null && current.startedNanos() >= sinceNanos) {
        return current;
      }
      long started = System.nanoTime();
      Future<Optional<TenantKeys>> next = current == null ? load(id)
          : current.future().transform(ar -> load(id));
      return new Forced(started, next);
    });
    f.future().onComplete(ar -> forced.remove(tenantId, f));
    return onCallerContext(f.future());
  }

  private Future<Optional<TenantKeys>> load(String tenantId) {
    return store.load(tenantId, cache.get(tenantId)).compose(loaded -> install(tenantId, loaded));
  }

  /** Puts a load into the cache unless the cache already holds a newer revision. */
  private Future<Optional<TenantKeys>> install(String tenantId, Optional<TenantKeys> loaded) {
    AtomicReference<TenantKeys> before = new AtomicReference<>();
    TenantKeys now = cache.compute(tenantId, (id, old) -> {
      before.set(old);
      if (loaded.isEmpty()) {
        return null;
      }
      return old != null && old.revision() > loaded.get().revision() ? old : loaded.get();
    });
    List<Future<Void>> retiring = new ArrayList<>();
    TenantKeys old = before.get();
    if (old != null) {
      for (KeyVersion v : old.versions()) {
        if (v.token() == null) {
          continue;
        }
        Optional<KeyVersion> current = now == null ? Optional.empty() : now.version(v.version());
        if (current.isEmpty() || current.get().token() == null || !current.get().token().encode().equals(v.token().encode())) {
          retiring.add(keyRetired.apply(v.kid()));
        }
      }
    }
    Optional<TenantKeys> result = Optional.ofNullable(now);
    return retiring.isEmpty() ? Future.succeededFuture(result) : Future.all(retiring).map(x -> result);
  }

  /**
   * Checks every cached tenant's revision against the database and reloads those that changed;
   * confirms the others as current. Returns how many tenants were reloaded or dropped. One sweep
   * at a time: a call while one runs returns 0 at once.
   */
  public Future<Integer> sweep() {
    if (!sweeping.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    long started = System.currentTimeMillis();
    List<String> ids = new ArrayList<>(cache.keySet());
    Future<Integer> chain = Future.succeededFuture(0);
    for (int from = 0; from < ids.size(); from += SWEEP_CHUNK) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + SWEEP_CHUNK));
      chain = chain.compose(n -> sweepChunk(chunk, started).map(m -> n + m));
    }
    return chain.andThen(ar -> {
      sweeping.set(false);
      if (ar.succeeded()) {
        lastSweepMillis = started;
      }
    });
  }

  private Future<Integer> sweepChunk(List<String> ids, long started) {
    return store.revisions(ids).compose(revisions -> {
      List<Future<Optional<TenantKeys>>> reloads = new ArrayList<>();
      for (String id : ids) {
        Long current = revisions.get(id);
        TenantKeys cached = cache.get(id);
        if (cached == null) {
          continue;
        }
        if (current == null || current > cached.revision()) {
          reloads.add(current == null ? install(id, Optional.empty()) : load(id));
        } else {
          cache.computeIfPresent(id, (k, c) -> c.revision() >= current && c.loadedAtMillis() < started
              ? c.confirmedAt(started) : c);
        }
      }
      return Future.all(reloads).map(x -> reloads.size());
    });
  }

  /** When the last complete sweep started (0 if none has completed). */
  public long lastSweepMillis() {
    return lastSweepMillis;
  }

  private static <T> Future<T> onCallerContext(Future<T> future) {
    Context caller = Vertx.currentContext();
    if (caller == null) {
      return future;
    }
    // Continue on the caller's own context, not on whichever event loop ran the query.
    Promise<T> promise = Promise.promise();
    future.onComplete(ar -> caller.runOnContext(v -> promise.handle(ar)));
    return promise.future();
  }

  /** The tenant, or 404 tenant-not-found. */
  public Future<TenantKeys> require(String tenantId) {
    return get(tenantId).compose(t -> t.map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'"))));
  }

  /** The tenant, or the problem of its state: 404 tenant-not-found, 403 subscription-cancelled. */
  public Future<TenantKeys> requireActive(String tenantId) {
    return require(tenantId).map(t -> {
      requireActiveSubscription(t);
      return t;
    });
  }

  /** The active key version for new content, or the problem that forbids publishing. */
  public Future<KeyVersion> activeForPublishing(String tenantId) {
    return require(tenantId).map(t -> {
      requireActiveSubscription(t);
      return t.active().orElseThrow(() -> Problem.UNKNOWN_KEY_VERSION.with("tenant has no active key version"));
    });
  }

  /**
   * The key version that protected some content, for licensing: any retained or active version
   * of an active tenant. A version newer than this node knows makes it reload the tenant first.
   */
  public Future<KeyVersion> versionForLicensing(String tenantId, int version) {
    long arrived = System.nanoTime();
    return require(tenantId)
        .compose(t -> version > t.latestVersion()
            ? refreshSince(tenantId, arrived).map(o -> o.orElse(t))
            : Future.succeededFuture(t))
        .map(t -> {
          Optional<KeyVersion> found = t.version(version);
          // destroyed is for good, whatever else the tenant's state: said first, so nobody waits for a reactivation
          if (found.isPresent() && found.get().state() == KeyVersionState.DESTROYED) {
            throw Problem.KEY_DESTROYED.with("key version " + found.get().kid() + " was destroyed; its content can no longer "
                + "be licensed by anyone");
          }
          requireActiveSubscription(t);
          return found.orElseThrow(() -> Problem.UNKNOWN_KEY_VERSION.with("tenant '" + tenantId + "' has no key version "
              + version));
        });
  }

  /** The tenant as cached now, without loading. */
  public Optional<TenantKeys> cached(String tenantId) {
    return Optional.ofNullable(cache.get(tenantId));
  }

  /** Forgets a tenant so the next use reloads it. */
  public void invalidate(String tenantId) {
    cache.remove(tenantId);
  }

  /** Tenants cached on this node now. */
  public Map<String, TenantKeys> snapshot() {
    return Map.copyOf(cache);
  }

  private static void requireActiveSubscription(TenantKeys t) {
    if (t.tenant().state() == TenantState.CANCELLED) {
      throw Problem.SUBSCRIPTION_CANCELLED.with("tenant '" + t.tenant().id() + "' cancelled its subscription; its key is no longer used");
    }
  }
}
