package io.licensor.http;

import io.licensor.errors.ProblemException;
import io.licensor.identity.Principal;
import io.licensor.limits.KeyOperationLimits;
import io.vertx.core.Future;

import java.util.function.Supplier;

/** Holds a tenant admin's costly key operations (export, key-exchange key, re-key) to the tenant's limits. */
public final class KeyOperationGate {

  private final KeyOperationLimits limits;

  public KeyOperationGate(KeyOperationLimits limits) {
    this.limits = limits;
  }

  /**
   * A tenant admin's costly key operation (export, key-exchange key, re-key), within the tenant's
   * {@link io.licensor.limits.KeyOperationLimits}: 429 rate-limited beyond them. Operators, and
   * callers the operation itself will refuse (no tenant-admin role), are not counted.
   */
  <T> Future<T> limited(Principal p, String tid, String operation, Supplier<Future<T>> work) {
    if (!p.isTenantAdminOf(tid)) {
      return work.get();
    }
    try {
      limits.begin(tid, operation);
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    Future<T> running;
    try {
      running = work.get();
    } catch (RuntimeException e) {
      limits.finished(tid);
      throw e;
    }
    return running.onComplete(x -> limits.finished(tid));
  }
}
