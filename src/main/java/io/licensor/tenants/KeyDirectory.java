package io.licensor.tenants;

import io.licensor.errors.Problem;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's key directory: tenant → tenant record and key versions, cached from the database.
 * An entry older than the refresh period is reloaded on next use; a request naming a version newer
 * than the cache knows reloads the tenant before it is answered with 404. Concurrent loads of one
 * tenant share a single database query.
 */
public final class KeyDirectory {

  /**
   * A version newer than the cache knows makes the node reload the tenant, but not more often than
   * this: a stream of PLs naming bogus versions must not become a stream of database queries.
   */
  static final long MIN_FORCED_REFRESH_MILLIS = 250;

  private final TenantStore store;
  private final long refreshMillis;
  private final Map<String, TenantKeys> cache = new ConcurrentHashMap<>();
  private final Map<String, Future<Optional<TenantKeys>>> loading = new ConcurrentHashMap<>();

  public KeyDirectory(TenantStore store, long refreshMillis) {
    this.store = store;
    this.refreshMillis = refreshMillis;
  }

  /** The tenant as this node knows it, loading it if absent or stale. */
  public Future<Optional<TenantKeys>> get(String tenantId) {
    if (!TenantService.isValidId(tenantId)) {
      return Future.succeededFuture(Optional.empty());
    }
    TenantKeys cached = cache.get(tenantId);
    if (cached != null && System.currentTimeMillis() - cached.loadedAtMillis() < refreshMillis) {
      return Future.succeededFuture(Optional.of(cached));
    }
    return refresh(tenantId);
  }

  /** Reloads the tenant from the database now. */
  public Future<Optional<TenantKeys>> refresh(String tenantId) {
    if (!TenantService.isValidId(tenantId)) {
      return Future.succeededFuture(Optional.empty());
    }
    Context caller = Vertx.currentContext();
    Future<Optional<TenantKeys>> shared = loading.computeIfAbsent(tenantId, id -> store.load(id)
        .andThen(ar -> {
          loading.remove(id);
          if (ar.succeeded()) {
            ar.result().ifPresentOrElse(t -> cache.put(id, t), () -> cache.remove(id));
          }
        }));
    if (caller == null) {
      return shared;
    }
    // Continue on the caller's own context, not on whichever event loop ran the shared query.
    Promise<Optional<TenantKeys>> promise = Promise.promise();
    shared.onComplete(ar -> caller.runOnContext(v -> promise.handle(ar)));
    return promise.future();
  }

  /** The tenant, or 404 tenant-not-found. */
  public Future<TenantKeys> require(String tenantId) {
    return get(tenantId).compose(t -> t.map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'"))));
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
    return require(tenantId)
        .compose(t -> version > t.latestVersion() && System.currentTimeMillis() - t.loadedAtMillis() >= MIN_FORCED_REFRESH_MILLIS
            ? refresh(tenantId).map(o -> o.orElse(t))
            : Future.succeededFuture(t))
        .map(t -> {
          requireActiveSubscription(t);
          KeyVersion v = t.version(version).orElseThrow(() ->
              Problem.UNKNOWN_KEY_VERSION.with("tenant '" + tenantId + "' has no key version " + version));
          if (v.state() == KeyVersionState.DESTROYED) {
            throw Problem.KEY_DESTROYED.with("key version " + v.kid() + " was destroyed; its content can no longer be licensed");
          }
          return v;
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
