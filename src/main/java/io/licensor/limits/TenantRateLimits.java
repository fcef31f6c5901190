package io.licensor.limits;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Per-tenant rate limits on this node: a token bucket per tenant, refilled at {@code ratePerSecond}
 * and holding at most {@code burst} tokens. Checked after authentication, so only a tenant's own
 * users spend its tokens: nobody can exhaust another tenant's limit with anonymous requests.
 * Nothing blocks; a bucket's critical section is a few arithmetic operations.
 */
public final class TenantRateLimits {

  private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

  private final double ratePerNano;
  private final double burst;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** {@code ratePerSecond} 0 turns limits off. */
  public TenantRateLimits(int ratePerSecond, int burst) {
    this((double) ratePerSecond, burst);
  }

  private TenantRateLimits(double ratePerSecond, int burst) {
    this.ratePerNano = ratePerSecond / NANOS_PER_SECOND;
    this.burst = Math.max(1, burst);
  }

  /** Limits counted per minute (for costly operations); {@code perMinute} 0 turns them off. */
  public static TenantRateLimits perMinute(int perMinute, int burst) {
    return new TenantRateLimits(perMinute / 60.0, burst);
  }

  /** Requests per second per tenant (rounded), as the refusal says. */
  public long ratePerSecond() {
    return Math.round(ratePerNano * NANOS_PER_SECOND);
  }

  private boolean enabled() {
    return ratePerNano > 0;
  }

  /**
   * Takes one token of the tenant's bucket: 0 if the request may go on, else the whole seconds
   * (at least 1) after which a token will be there, for {@code Retry-After}.
   */
  public long acquire(String tenantId) {
    return acquire(tenantId, System.nanoTime());
  }

  long acquire(String tenantId, long now) {
    if (!enabled()) {
      return 0;
    }
    Bucket bucket = buckets.computeIfAbsent(tenantId, t -> new Bucket(burst, now));
    synchronized (bucket) {
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.refilledAt) * ratePerNano);
      bucket.refilledAt = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      double nanosToToken = (1 - bucket.tokens) / ratePerNano;
      return Math.max(1, (long) Math.ceil(nanosToToken / NANOS_PER_SECOND));
    }
  }

  private static final class Bucket {
    double tokens;
    long refilledAt;

    Bucket(double tokens, long refilledAt) {
      this.tokens = tokens;
      this.refilledAt = refilledAt;
    }
  }
}
