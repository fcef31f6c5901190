package io.licensor.limits;

import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits on the costly key operations a tenant's own users may ask for on this node — exports
 * (PBKDF2), key-exchange keys (RSA-4096 generation) and re-keys (key generation): a per-minute
 * token bucket per tenant, and one such operation in progress per tenant at a time. One tenant
 * admin's flood then costs the node at most one operation at a time, and the others' licenses,
 * tenant creations and re-keys go on. Operators are not limited (their campaigns and tenant
 * creations are the service's own work). Nothing blocks.
 */
public final class KeyOperationLimits {

  private final TenantRateLimits rate;
  private final int perMinute;
  private final Set<String> inProgress = ConcurrentHashMap.newKeySet();

  /** {@code perMinute} 0 turns the rate off (one at a time still holds). */
  public KeyOperationLimits(int perMinute, int burst) {
    this.perMinute = perMinute;
    this.rate = TenantRateLimits.perMinute(perMinute, burst);
  }

  /**
   * Admits one costly operation of {@code operation} kind for the tenant, or throws 429
   * rate-limited with Retry-After. The caller calls {@link #finished} when it ends, however.
   */
  public void begin(String tenantId, String operation) {
    if (!inProgress.add(tenantId)) {
      throw limited("another export, key-exchange key or re-key of this tenant is in progress on this node; "
          + "they run one at a time", 1);
    }
    long retryAfter = rate.acquire(tenantId);
    if (retryAfter > 0) {
      inProgress.remove(tenantId);
      throw limited("this tenant's exports, key-exchange keys and re-keys exceed " + perMinute
          + " per minute on this node (this " + operation + " is refused); retry after " + retryAfter + " s", retryAfter);
    }
  }

  public void finished(String tenantId) {
    inProgress.remove(tenantId);
  }

  private static ProblemException limited(String detail, long retryAfter) {
    return Problem.RATE_LIMITED.with(detail).header("Retry-After", Long.toString(retryAfter));
  }
}
