package io.licensor.lifecycle;

import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.byok.ByokService;
import io.licensor.cluster.ChangeNotices;
import io.licensor.cryptopolicy.CryptoPolicyStore;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.hsm.GeneratedKey;
import io.licensor.hsm.HsmClient;
import io.licensor.identity.IdentityCheck;
import io.licensor.identity.Principal;
import io.licensor.ids.Kid;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.keys.PublicJwks;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.Tenant;
import io.licensor.tenants.TenantKeys;
import io.licensor.tenants.TenantState;
import io.licensor.tenants.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Set;

/**
 * A tenant's own lifecycle: creation (the request checked, the first key version generated in
 * the HSM or imported, tenant and version stored in one transaction; nothing stored when a step
 * fails), cancellation of its subscription (revocation: no publishing, no licensing, on every node
 * from the return of the call) and reactivation. Cancel and reactivate hold the tenant's lifecycle
 * lock and are announced to the other nodes, as the key operations of {@link KeyLifecycle} are.
 */
public final class TenantLifecycle {

  private final TenantStore store;
  private final KeyDirectory directory;
  private final HsmClient hsm;
  private final AuditLog audit;
  private final ByokService byok;
  private final CryptoPolicyStore policies;
  private final TenantLocks locks;
  private final ChangeNotices notices;
  private final IdentityCheck identities;

  /** {@code identities}: checks a new identity's published key set can be fetched before it is stored. */
  public TenantLifecycle(TenantStore store, KeyDirectory directory, HsmClient hsm, AuditLog audit, ByokService byok,
                         CryptoPolicyStore policies, TenantLocks locks, ChangeNotices notices, IdentityCheck identities) {
    this.identities = identities;
    this.store = store;
    this.directory = directory;
    this.hsm = hsm;
    this.audit = audit;
    this.byok = byok;
    this.policies = policies;
    this.locks = locks;
    this.notices = notices;
  }

  public Future<TenantKeys> create(String by, JsonObject body, String requestId) {
    NewTenant request;
    try {
      request = NewTenant.parse(body);
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    Tenant tenant = new Tenant(request.id(), request.displayName(), request.adminEmail(), request.identity(),
        TenantState.ACTIVE, Instant.now());
    return store.exists(request.id())
        .compose(exists -> exists
            ? Future.failedFuture(Problem.TENANT_EXISTS.with("tenant '" + request.id() + "' already exists"))
            : store.issuerAvailable(tenant))
        .compose(v -> identities.usable(request.identity()))
        .compose(v -> request.key().make(request.id(), hsm, byok, policies))
        .compose(generated -> {
          KeyVersion first = firstVersion(request, generated);
          return store.insert(tenant, first);
        })
        .recover(err -> Future.failedFuture(err instanceof TenantStore.DuplicateTenantException
            ? Problem.TENANT_EXISTS.with("tenant '" + request.id() + "' already exists") : err))
        .compose(v -> directory.refresh(request.id()))
        .map(t -> t.orElseThrow(() -> new IllegalStateException("tenant vanished after creation")))
        .compose(t -> audit.record(AuditEvent.now(t.tenant().id(), Kid.of(t.tenant().id(), 1), by, "tenant.create",
            "ok", audit.node(), requestId, new JsonObject().put("algorithm", request.algorithm().wireName())
                .put("origin", request.origin().wireName()).encode())).map(x -> t));
  }

  private static KeyVersion firstVersion(NewTenant request, GeneratedKey generated) {
    String kid = Kid.of(request.id(), 1);
    return new KeyVersion(request.id(), 1, KeyVersionState.ACTIVE, request.algorithm(), request.origin(),
        PublicJwks.of(generated.publicKey(), kid), generated.token(), Instant.now());
  }

  /** Cancels the subscription: from the return of this call no publishing and no licensing. Idempotent. */
  public Future<Changed<TenantKeys>> cancel(Principal by, String tenantId, String requestId) {
    return setState(by, tenantId, TenantState.CANCELLED, "tenant.cancel", requestId);
  }

  /**
   * Reactivates a cancelled tenant. One with no key version it can use (its last destroyed while
   * it was cancelled) needs a new key, {@code body.key} ({origin, algorithm[, byok]}, as at
   * creation): without one 409 no-active-key, and it stays cancelled; with one, the new version
   * and the reactivation commit together.
   */
  public Future<Changed<TenantKeys>> reactivate(Principal by, String tenantId, JsonObject body, String requestId) {
    KeyRequest key;
    try {
      for (String field : body.fieldNames()) {
        if (!field.equals("key")) {
          throw Problem.INVALID_REQUEST.with(field + " is not a member of a reactivation ({key})");
        }
      }
      key = body.containsKey("key") ? KeyRequest.parse(body.getValue("key"), "key") : null;
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    if (key == null) {
      return directory.refresh(tenantId)
          .map(t -> t.orElseThrow(() -> Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")))
          .compose(t -> t.active().isPresent() ? setState(by, tenantId, TenantState.ACTIVE, "tenant.reactivate", requestId)
              : Future.failedFuture(Problem.NO_ACTIVE_KEY.with("tenant '" + tenantId + "' has no key version it can use "
                  + "(its last was destroyed): reactivate it with a new key, {\"key\": {\"origin\": \"service\", "
                  + "\"algorithm\": \"RSA-2048\"}} (licensor tenant reactivate " + tenantId + " --algorithm RSA-2048, "
                  + "or --byok FILE)")));
    }
    return key.make(tenantId, hsm, byok, policies)
        .compose(generated -> locks.with(tenantId, () -> store.reactivateWith(tenantId, n -> {
              String kid = Kid.of(tenantId, n);
              return new KeyVersion(tenantId, n, KeyVersionState.ACTIVE, key.algorithm(), key.origin(),
                  PublicJwks.of(generated.publicKey(), kid), generated.token(), Instant.now());
            })
            .compose(v -> directory.refresh(tenantId)
                .map(t -> t.orElseThrow(() -> Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")))
                .compose(t -> audit.record(AuditEvent.now(tenantId, v.kid(), KeyLifecycle.describe(by), "tenant.reactivate",
                    "ok", audit.node(), requestId, new JsonObject().put("newVersion", v.kid())
                        .put("algorithm", v.algorithm().wireName()).put("origin", v.origin().wireName()).encode()))
                    .map(x -> t)))))
        .compose(t -> notices.announce(tenantId, t.revision()).map(p -> new Changed<>(t, p)));
  }

  /**
   * Changes the tenant's display name, admin e-mail or identity ({@link TenantChange}), if it is at
   * one of {@code expectedRevisions} (null: whatever it is at; else 412). Under the tenant's lifecycle
   * lock; audited as {@code tenant.update} with what changed; announced to the other nodes, so
   * tokens of a removed identity key are refused on every node from the return of the call.
   * A change that changes nothing writes and audits nothing.
   */
  public Future<Changed<TenantKeys>> update(Principal by, String tenantId, Set<Long> expectedRevisions, JsonObject body,
                                            String requestId) {
    TenantChange change;
    try {
      change = TenantChange.parse(body);
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    Future<Void> usable = change.identity() == null ? Future.succeededFuture() : identities.usable(change.identity());
    return usable.compose(checked -> locks.with(tenantId, () -> store.change(tenantId, expectedRevisions, change::applyTo)
        .recover(err -> {
          // A stale tag may come from this node's view: make it current, so the caller's next read is.
          if (err instanceof ProblemException p && p.problem() == Problem.PRECONDITION_FAILED) {
            return directory.refresh(tenantId).transform(x -> Future.failedFuture(err));
          }
          return Future.failedFuture(err);
        })
        .compose(changed -> directory.refresh(tenantId)
            .map(t -> t.orElseThrow(() -> Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")))
            .compose(t -> !changed.changedAnything() ? Future.succeededFuture(t)
                : audit.record(AuditEvent.now(tenantId, t.active().map(KeyVersion::kid).orElse(null),
                    KeyLifecycle.describe(by), "tenant.update", "ok", audit.node(), requestId,
                    TenantChange.describe(changed.before(), changed.after()).encode())).map(x -> t)))))
        .compose(t -> notices.announce(tenantId, t.revision()).map(p -> new Changed<>(t, p)));
  }

  /**
   * Revokes (or, {@code revoke} false, un-revokes) one document of the tenant by its content id:
   * from the return of the call no node licenses it (403 content-revoked), as after a cancel. The
   * value: whether this call changed anything. Audited as {@code document.revoke} /
   * {@code document.unrevoke} when it did.
   */
  public Future<Changed<Boolean>> revokeDocument(Principal by, String tenantId, String contentId, boolean revoke,
                                                 String requestId) {
    if (contentId == null || contentId.isBlank() || contentId.length() > 256 || contentId.chars().anyMatch(Character::isISOControl)) {
      return Future.failedFuture(Problem.INVALID_REQUEST.with("the content id must be 1 to 256 characters, no control characters"));
    }
    String who = KeyLifecycle.describe(by);
    return store.revokeDocument(tenantId, contentId, who, revoke)
        .compose(changed -> directory.refresh(tenantId)
            .map(t -> t.orElseThrow(() -> Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")))
            .compose(t -> (changed ? audit.record(AuditEvent.now(tenantId, null, who, revoke ? "document.revoke" : "document.unrevoke",
                "ok", audit.node(), requestId, new JsonObject().put("contentId", contentId).encode())) : Future.<Void>succeededFuture())
                .compose(x -> notices.announce(tenantId, t.revision()))
                .map(p -> new Changed<>(changed, p))));
  }

  private Future<Changed<TenantKeys>> setState(Principal by, String tenantId, TenantState state, String action,
                                               String requestId) {
    return locks.with(tenantId, () -> store.setState(tenantId, state)
        .compose(v -> directory.refresh(tenantId))
        .map(t -> t.orElseThrow(() -> Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")))
        .compose(t -> audit.record(AuditEvent.now(tenantId, t.active().map(KeyVersion::kid).orElse(null),
            KeyLifecycle.describe(by), action, "ok", audit.node(), requestId, null)).map(x -> t)))
        .compose(t -> notices.announce(tenantId, t.revision()).map(p -> new Changed<>(t, p)));
  }
}
