package io.licensor.incidents;

import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.cryptopolicy.CryptoPolicy;
import io.licensor.cryptopolicy.CryptoPolicyStore;
import io.licensor.errors.ProblemException;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.keys.KeyVersion;
import io.licensor.lifecycle.KeyLifecycle;
import io.licensor.tenants.TenantKeys;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs re-key campaigns on this node. Campaigns live in PostgreSQL: every node claims runnable
 * items ({@code FOR UPDATE SKIP LOCKED}, held 60 s), so a campaign survives restarts and node
 * failures, and nodes share the work. Rate-limited to {@code incidents.campaignRatePerSecond}
 * tenants per second per node; at most {@code incidents.campaignConcurrency} re-keys at once, so
 * licensing keeps its share of the HSM. Idempotent: a tenant whose active version was made since the campaign began is
 * not re-keyed again (checked in the re-key's own transaction).
 */
public final class CampaignRunner extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(CampaignRunner.class);
  private static final long TICK_MILLIS = 200;

  private final IncidentStore store;
  private final KeyLifecycle lifecycle;
  private final CryptoPolicyStore policies;
  private final AuditLog audit;
  private final int ratePerSecond;
  private final int maxAttempts;
  private final int lanes;
  private final AtomicBoolean busy = new AtomicBoolean();
  private final Map<String, Incident> incidents = new ConcurrentHashMap<>();
  private double allowance;
  private long lastTick = System.nanoTime();
  private long timer = -1;
  private volatile boolean stopped;

  public CampaignRunner(IncidentStore store, KeyLifecycle lifecycle, CryptoPolicyStore policies,
                        AuditLog audit, int ratePerSecond, int maxAttempts, int lanes) {
    this.lanes = lanes;
    this.store = store;
    this.lifecycle = lifecycle;
    this.policies = policies;
    this.audit = audit;
    this.ratePerSecond = ratePerSecond;
    this.maxAttempts = maxAttempts;
  }

  @Override
  public Future<?> start() {
    timer = vertx.setPeriodic(TICK_MILLIS, t -> tick());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return Future.succeededFuture();
  }

  /** Looks for work now (after a declaration or an HSM update), on this verticle's context. */
  public void nudge() {
    if (context != null) {
      context.runOnContext(v -> tick());
    }
  }

  private void tick() {
    if (stopped || !busy.compareAndSet(false, true)) {
      return;
    }
    long now = System.nanoTime();
    allowance = Math.min(ratePerSecond, allowance + ratePerSecond * (now - lastTick) / 1e9);
    lastTick = now;
    int n = (int) Math.min(100, Math.floor(allowance));
    if (n < 1) {
      busy.set(false);
      return;
    }
    store.claim(n)
        .compose(claims -> {
          allowance -= claims.size();
          return runAll(claims);
        })
        .onComplete(ar -> {
          // stopping, the pool closes under a claim in flight: not worth a warning
          if (ar.failed() && !stopped) {
            LOG.warn("campaign: claiming work failed: {}", ar.cause().toString());
          }
          busy.set(false);
        });
  }

  private Future<Void> runAll(List<IncidentStore.Claim> claims) {
    if (claims.isEmpty()) {
      return Future.succeededFuture();
    }
    Deque<IncidentStore.Claim> queue = new ArrayDeque<>(claims);
    Promise<Void> done = Promise.promise();
    int[] running = {0};
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      while (running[0] < lanes && !queue.isEmpty()) {
        IncidentStore.Claim c = queue.poll();
        running[0]++;
        run(c).onComplete(ar -> {
          running[0]--;
          if (queue.isEmpty() && running[0] == 0) {
            done.tryComplete();
          } else {
            next[0].run();
          }
        });
      }
    };
    next[0].run();
    return done.future();
  }

  private Future<Void> run(IncidentStore.Claim claim) {
    return incident(claim.incidentId())
        .compose(incident -> policies.current().compose(policy -> step(incident, claim, policy)))
        .recover(err -> {
          String reason = err instanceof ProblemException p ? p.getMessage() : err.getClass().getSimpleName();
          if (claim.attempts() >= maxAttempts) {
            LOG.warn("campaign {}: tenant {} failed after {} attempts: {}", claim.incidentId(), claim.tenantId(),
                claim.attempts(), reason);
            return incident(claim.incidentId())
                .compose(incident -> store.finish(claim, "failed", reason, null,
                    Notifications.outcome(incident, claim.tenantId(), "failed", reason, null, claim.attempts())))
                .compose(v -> audit.record(AuditEvent.now(claim.tenantId(), null, "incident:" + claim.incidentId(),
                    "incident.rekey", "failed", audit.node(), claim.incidentId(), new JsonObject().put("reason", reason).encode())));
          }
          return store.retryLater(claim, reason, 5 * claim.attempts());
        })
        .otherwise(err -> {
          LOG.warn("campaign {}: could not record the outcome for tenant {}: {}", claim.incidentId(), claim.tenantId(),
              err.toString());
          return null;
        });
  }

  private Future<Void> step(Incident incident, IncidentStore.Claim claim, CryptoPolicy policy) {
    KeyAlgorithm target = incident.targetAlgorithm() == null ? null
        : KeyAlgorithm.fromWireName(incident.targetAlgorithm()).orElse(null);
    boolean onlyIfBelowPolicy = incident.type() == IncidentType.ALGORITHM_WEAKNESS;
    return lifecycle.rekeyForCampaign(incident.id(), claim.tenantId(), policy,
            t -> onlyIfBelowPolicy && t.active().map(v -> policy.allows(v.algorithm())).orElse(false)
                ? Optional.empty() : Optional.of(algorithmFor(t, policy, target)),
            incident.campaignSince(), incident.byokServiceKey())
        .compose(step -> switch (step.outcome()) {
          case REKEYED -> store.finish(claim, "done", step.replacedCustomerKey()
                  ? "the customer's key (BYOK) replaced by a service key, as the operator chose" : null, step.kid(),
              Notifications.outcome(incident, claim.tenantId(), "done", null, step, claim.attempts()));
          case ALREADY_REKEYED -> store.finish(claim, "done", claim.awaitingCustomer()
                  ? "the customer transferred a new key" : "already re-keyed since the incident began", step.kid(),
              Notifications.outcome(incident, claim.tenantId(), "done", null, step, claim.attempts()));
          case NOT_NEEDED -> skip(incident, claim, "the active version meets the crypto policy");
          case SUBSCRIPTION_CANCELLED -> skip(incident, claim, "subscription cancelled");
          // asked once; looked at again every minute until the customer's new key is there
          case AWAITING_CUSTOMER_KEY -> store.finish(claim, "awaiting-customer",
              "the tenant's key is its own (BYOK): waiting for the customer's new key transfer", null,
              claim.awaitingCustomer() ? null
                  : Notifications.outcome(incident, claim.tenantId(), "awaiting-customer", null, step, claim.attempts()));
        });
  }

  private Future<Void> skip(Incident incident, IncidentStore.Claim claim, String reason) {
    return store.finish(claim, "skipped", reason, null,
            Notifications.outcome(incident, claim.tenantId(), "skipped", reason, null, claim.attempts()))
        .compose(v -> audit.record(AuditEvent.now(claim.tenantId(), null, "incident:" + claim.incidentId(), "incident.rekey",
            "skipped", audit.node(), claim.incidentId(), new JsonObject().put("reason", reason).encode())));
  }

  /**
   * The algorithm of the tenant's new version: its current one if the policy allows it; else the
   * incident's target; else the smallest allowed of the same family at least as large; else the
   * first allowed.
   */
  static KeyAlgorithm algorithmFor(TenantKeys t, CryptoPolicy policy, KeyAlgorithm target) {
    KeyAlgorithm current = t.active().map(KeyVersion::algorithm).orElse(target != null ? target : KeyAlgorithm.RSA_2048);
    if (policy.allows(current)) {
      return current;
    }
    if (target != null && policy.allows(target)) {
      return target;
    }
    return Arrays.stream(KeyAlgorithm.values())
        .filter(a -> policy.allows(a) && a.isRsa() == current.isRsa() && a.bits() >= current.bits())
        .findFirst()
        .orElseGet(() -> Arrays.stream(KeyAlgorithm.values()).filter(policy::allows).findFirst().orElse(current));
  }

  private Future<Incident> incident(String id) {
    Incident cached = incidents.get(id);
    if (cached != null && cached.campaignSince() != null) {
      return Future.succeededFuture(cached);
    }
    return store.get(id).map(found -> {
      Incident i = found.orElseThrow(() -> new IllegalStateException("campaign item of an unknown incident " + id));
      incidents.put(id, i);
      return i;
    });
  }
}
