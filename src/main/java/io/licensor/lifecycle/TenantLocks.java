package io.licensor.lifecycle;

import io.licensor.errors.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * Per-tenant lifecycle locks: a Vert.x SharedData lock, which is cluster-wide on a clustered node
 * (a Hazelcast map lock, freed if its holder leaves the cluster). Re-key, cancel, reactivate,
 * destroy and restore of one tenant run one at a time across the cluster; the database's row lock
 * and constraints are the second line.
 */
public final class TenantLocks {

  static final long TIMEOUT_MILLIS = 30_000;

  private final Vertx vertx;

  public TenantLocks(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Runs {@code action} holding the tenant's lock; 503 tenant-busy if the lock is not free within 30 s. */
  public <T> Future<T> with(String tenantId, Supplier<Future<T>> action) {
    return vertx.sharedData().getLockWithTimeout("licensor.tenant-lifecycle." + tenantId, TIMEOUT_MILLIS)
        .recover(err -> Future.failedFuture(Problem.TENANT_BUSY.with("another lifecycle operation on tenant '" + tenantId
            + "' has held its lock for " + TIMEOUT_MILLIS / 1000 + " s; retry later").header("Retry-After", "5")))
        .compose(lock -> {
          Future<T> result;
          try {
            result = action.get();
          } catch (RuntimeException e) {
            result = Future.failedFuture(e);
          }
          return result.andThen(ar -> lock.release());
        });
  }
}
