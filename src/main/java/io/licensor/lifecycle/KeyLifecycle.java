package io.licensor.lifecycle;

import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.byok.ByokService;
import io.licensor.cluster.ChangeNotices;
import io.licensor.cryptopolicy.CryptoPolicy;
import io.licensor.cryptopolicy.CryptoPolicyStore;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.hsm.GeneratedKey;
import io.licensor.hsm.HsmClient;
import io.licensor.hsm.HsmException;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.identity.Principal;
import io.licensor.ids.Kid;
import io.licensor.keys.KeyOrigin;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.keys.PublicJwks;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.TenantKeys;
import io.licensor.tenants.TenantState;
import io.licensor.tenants.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The tenant-key lifecycle of the source documents: re-key (the old version is retained), destroy
 * on request, and export (never for BYOK keys); cancel and reactivate are {@link TenantLifecycle}'s. Each
 * operation on a tenant holds that tenant's lifecycle lock (cluster-wide when clustered; the
 * database's row lock and constraints as well), commits in PostgreSQL, refreshes this node's key
 * directory, leaves a durable audit record, and then tells the other members (change notices)
 * and reports which confirmed before it returns.
 */
public final class KeyLifecycle {

  private final Vertx vertx;
  private final TenantStore store;
  private final KeyDirectory directory;
  private final HsmClient hsm;
  private final AuditLog audit;
  private final ByokService byok;
  private final ChangeNotices notices;
  private final TenantLocks locks;
  private final CryptoPolicyStore policies;

  public KeyLifecycle(Vertx vertx, TenantStore store, KeyDirectory directory, HsmClient hsm, AuditLog audit,
                      ByokService byok, ChangeNotices notices,
                      CryptoPolicyStore policies) {
    this.policies = policies;
    this.byok = byok;
    this.notices = notices;
    this.locks = new TenantLocks(vertx);
    this.vertx = vertx;
    this.store = store;
    this.directory = directory;
    this.hsm = hsm;
    this.audit = audit;
  }

  /** Who did it, as the audit trail names them. */
  public static String describe(Principal p) {
    return p == null ? null : p.operator() ? "operator:" + p.subject() : p.subject();
  }

  /** A new active version, generated in the HSM or imported (BYOK); the current one becomes retained. */
  public Future<Changed<KeyVersion>> rekey(Principal by, String tenantId, JsonObject body, String requestId) {
    KeyRequest request;
    try {
      request = KeyRequest.parse(body, "body");
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    return requireActive(tenantId)
        .compose(t -> request.make(tenantId, hsm, byok, policies))
        .compose(key -> install(by, tenantId, key, request.origin(), requestId));
  }

  /**
   * A new active version from a private key imported into the HSM (the BYOK path, once the
   * transfer file is unwrapped). The version's origin is byok: it can never be exported.
   */
  public Future<Changed<KeyVersion>> rekeyImported(Principal by, String tenantId, KeyAlgorithm algorithm, byte[] pkcs8,
                                          String requestId) {
    return requireActive(tenantId)
        .compose(t -> policies.current().map(p -> p.require(algorithm)))
        .compose(a -> hsm.importPrivateKey(algorithm, pkcs8))
        .compose(key -> install(by, tenantId, key, KeyOrigin.BYOK, requestId));
  }

  private Future<TenantKeys> requireActive(String tenantId) {
    return directory.require(tenantId).map(t -> {
      if (t.tenant().state() == TenantState.CANCELLED) {
        throw Problem.SUBSCRIPTION_CANCELLED.with("tenant '" + tenantId + "' cancelled its subscription; reactivate it first");
      }
      return t;
    });
  }

  private Future<Changed<KeyVersion>> install(Principal by, String tenantId, GeneratedKey key, KeyOrigin origin,
                                              String requestId) {
    return install(describe(by), tenantId, key, origin, null, requestId, null)
        .map(c -> new Changed<>(c.value().orElseThrow(), c.propagation()));
  }

  /**
   * Adds the key as the tenant's active version under the tenant lock, unless {@code since} is set
   * and the active version was made at or after it (then nothing changes and the value is empty).
   */
  private Future<Changed<Optional<KeyVersion>>> install(String who, String tenantId, GeneratedKey key,
                                                                  KeyOrigin origin, OffsetDateTime since,
                                                                  String requestId, String incidentId) {
    return withTenantLock(tenantId, () -> {
      String previous = directory.cached(tenantId).flatMap(TenantKeys::active).map(KeyVersion::kid).orElse(null);
      // a campaign's re-key (an incident's: a compromise, a weakness) revokes the delegated signing keys
      return store.addActiveVersionUnlessSince(tenantId, since, incidentId != null, version -> new KeyVersion(tenantId, version,
              KeyVersionState.ACTIVE, key.algorithm(), origin, PublicJwks.of(key.publicKey(), Kid.of(tenantId, version)),
              key.token(), Instant.now()))
          .compose(added -> added.isEmpty()
              ? Future.succeededFuture(new Committed<>(added, -1L))
              : directory.refresh(tenantId).map(t -> new Committed<>(added, revisionOf(t)))
                  .compose(c -> audit.record(AuditEvent.now(tenantId, added.get().kid(), who, "key.rekey", "ok",
                      audit.node(), requestId, new JsonObject().put("algorithm", added.get().algorithm().wireName())
                          .put("origin", origin.wireName()).put("retained", previous).put("incident", incidentId)
                          .encode())).map(x -> c)));
    }).compose(c -> c.value().isEmpty()
        ? Future.succeededFuture(new Changed<>(c.value(), null))
        : announce(tenantId, c));
  }

  /** What a campaign step did to one tenant. */
  public enum CampaignOutcome { REKEYED, ALREADY_REKEYED, NOT_NEEDED, SUBSCRIPTION_CANCELLED, AWAITING_CUSTOMER_KEY }

  /**
   * The outcome, the tenant's active kid and algorithm after it, and whether a key the customer
   * brought (BYOK) was replaced by one the service made (the operator's choice for the incident).
   */
  public record CampaignStep(CampaignOutcome outcome, String kid, String algorithm, boolean replacedCustomerKey) {
    CampaignStep(CampaignOutcome outcome, String kid, String algorithm) {
      this(outcome, kid, algorithm, false);
    }
  }

  /**
   * One tenant of a re-key campaign: re-keys it to {@code algorithmFor(tenant)} unless its active
   * version was made at or after {@code since} (the campaign's start) — checked again under the
   * tenant's lock in the insert's transaction, so a campaign resumed after a crash never re-keys a
   * tenant twice. A cancelled tenant is left alone, and so is one for which {@code algorithmFor}
   * gives nothing (it needs no new version). The new version must meet {@code policy}. A tenant
   * whose active key is its own (BYOK) is not given a key the service makes unless
   * {@code replaceByok}: it waits for the customer's new transfer (AWAITING_CUSTOMER_KEY), and is
   * done once it has a version made since the campaign began.
   */
  public Future<CampaignStep> rekeyForCampaign(String incidentId, String tenantId, CryptoPolicy policy,
                                               Function<TenantKeys, Optional<KeyAlgorithm>> algorithmFor,
                                               OffsetDateTime since, boolean replaceByok) {
    String who = "incident:" + incidentId;
    return directory.refresh(tenantId).compose(found -> {
      TenantKeys t = found.orElseThrow(() -> Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'"));
      if (t.tenant().state() == TenantState.CANCELLED) {
        return Future.succeededFuture(new CampaignStep(CampaignOutcome.SUBSCRIPTION_CANCELLED, null, null));
      }
      Optional<KeyAlgorithm> wanted = algorithmFor.apply(t);
      Optional<KeyVersion> active = t.active();
      if (wanted.isEmpty()) {
        return Future.succeededFuture(new CampaignStep(CampaignOutcome.NOT_NEEDED, active.map(KeyVersion::kid).orElse(null),
            active.map(v -> v.algorithm().wireName()).orElse(null)));
      }
      if (active.isPresent() && !active.get().createdAt().isBefore(since.toInstant())) {
        return Future.succeededFuture(new CampaignStep(CampaignOutcome.ALREADY_REKEYED, active.get().kid(),
            active.get().algorithm().wireName()));
      }
      if (!replaceByok && active.isPresent() && active.get().origin() == KeyOrigin.BYOK) {
        return Future.succeededFuture(new CampaignStep(CampaignOutcome.AWAITING_CUSTOMER_KEY, active.get().kid(),
            active.get().algorithm().wireName()));
      }
      KeyAlgorithm algorithm;
      try {
        algorithm = policy.require(wanted.get());
      } catch (ProblemException e) {
        return Future.failedFuture(e);
      }
      boolean customerKey = active.isPresent() && active.get().origin() == KeyOrigin.BYOK;
      return hsm.generate(algorithm)
          .compose(key -> install(who, tenantId, key, KeyOrigin.SERVICE, since, incidentId, incidentId))
          .compose(c -> c.value().isPresent()
              ? Future.succeededFuture(new CampaignStep(CampaignOutcome.REKEYED, c.value().get().kid(),
                  c.value().get().algorithm().wireName(), customerKey))
              : directory.refresh(tenantId).map(now -> {
                KeyVersion v = now.flatMap(TenantKeys::active).orElseThrow();
                return new CampaignStep(CampaignOutcome.ALREADY_REKEYED, v.kid(), v.algorithm().wireName());
              }));
    });
  }

  /** What a change committed, and the tenant's revision once it had. */
  private record Committed<T>(T value, long revision) {
  }

  private static long revisionOf(Optional<TenantKeys> t) {
    return t.map(TenantKeys::revision).orElse(Long.MAX_VALUE);
  }

  private <T> Future<Changed<T>> announce(String tenantId, Committed<T> c) {
    return notices.announce(tenantId, c.revision()).map(p -> new Changed<>(c.value(), p));
  }

  /**
   * Destroys a key version for good: its token is erased and the HSM forgets the key. The value:
   * whether this call destroyed it (false: it was destroyed already, and nothing changed).
   */
  public Future<Changed<Boolean>> destroy(Principal by, String tenantId, int version, String reason, String requestId) {
    String kid = Kid.of(tenantId, version);
    return withTenantLock(tenantId, () -> store.destroy(tenantId, version, reason)
        .compose(changed -> hsm.forget(kid)
            .compose(v -> directory.refresh(tenantId))
            .compose(t -> (changed
                ? audit.record(AuditEvent.now(tenantId, kid, describe(by), "key.destroy", "ok", audit.node(), requestId,
                    new JsonObject().put("reason", reason).encode()))
                : Future.<Void>succeededFuture()).map(x -> new Committed<>(changed, revisionOf(t))))))
        .compose(c -> announce(tenantId, c));
  }

  /**
   * Exports a service-generated version as an encrypted PKCS#8 PEM, for its tenant-admin. A BYOK
   * version is refused for everyone, by every route and format: 403 key-not-exportable, audited.
   */
  public Future<JsonObject> export(Principal by, String tenantId, int version, JsonObject body, String requestId) {
    String kid = Kid.of(tenantId, version);
    return exportable(by, tenantId, version, requestId).compose(v -> {
      Object format = body.getValue("format", "pkcs8-pem");
      if (!"pkcs8-pem".equals(format)) {
        return Future.failedFuture(Problem.INVALID_REQUEST.with("format must be pkcs8-pem"));
      }
      if (!(body.getValue("password") instanceof String password) || password.length() < 12 || password.length() > 1024) {
        return Future.failedFuture(Problem.INVALID_REQUEST.with("password is required: 12 to 1024 characters"));
      }
      String weak = ExportPasswords.weakness(password, tenantId);
      if (weak != null) {
        return Future.failedFuture(Problem.INVALID_REQUEST.with("password is too weak: " + weak));
      }
      return hsm.exportEncrypted(v.keyRef(), password.toCharArray())
          .recover(err -> err instanceof HsmException h && h.reason() == HsmException.Reason.NOT_EXTRACTABLE
              ? refuse(by, tenantId, kid, requestId, Problem.KEY_NOT_EXPORTABLE.with("key version " + kid + " is not extractable"))
              : Future.failedFuture(err))
          .compose(pem -> audit.record(AuditEvent.now(tenantId, kid, describe(by), "key.export", "ok", audit.node(),
                  requestId, new JsonObject().put("format", "pkcs8-pem").encode()))
              .map(x -> new JsonObject().put("kid", kid).put("format", "pkcs8-pem")
                  .put("encryption", "PBES2 PBKDF2-HMAC-SHA256 AES-256-CBC").put("privateKeyPem", pem)));
    });
  }

  /**
   * Export by any method but POST: the same refusals as an export (a BYOK key is not exportable,
   * audited), and otherwise 405.
   */
  public Future<JsonObject> exportByOtherMethod(Principal by, String tenantId, int version, String requestId) {
    return exportable(by, tenantId, version, requestId)
        .compose(v -> Future.failedFuture(Problem.METHOD_NOT_ALLOWED.with("export keys with POST")));
  }

  /** The version, if this caller may export it; every refusal but "no such version" is audited. */
  private Future<KeyVersion> exportable(Principal by, String tenantId, int version, String requestId) {
    String kid = Kid.of(tenantId, version);
    return directory.require(tenantId).compose(t -> {
      KeyVersion v = t.version(version).orElse(null);
      if (v == null) {
        return Future.failedFuture(Problem.UNKNOWN_KEY_VERSION.with("tenant '" + tenantId + "' has no key version " + version));
      }
      if (v.origin() == KeyOrigin.BYOK) {
        return refuse(by, tenantId, kid, requestId, Problem.KEY_NOT_EXPORTABLE.with(
            "key version " + kid + " was brought by the customer (BYOK) and can never be exported; "
                + "to make it unusable, ask an operator to destroy it"));
      }
      if (v.state() == KeyVersionState.DESTROYED) {
        return Future.failedFuture(Problem.KEY_DESTROYED.with("key version " + kid + " was destroyed"));
      }
      if (!by.isTenantAdminOf(tenantId)) {
        return refuse(by, tenantId, kid, requestId, Problem.FORBIDDEN.with("only the tenant's administrators may export its keys"));
      }
      return Future.succeededFuture(v);
    });
  }

  private <T> Future<T> refuse(Principal by, String tenantId, String kid, String requestId, ProblemException problem) {
    if (!by.operator() && !by.isTenantAdminOf(tenantId)) {
      audit.refusedWithoutRole(tenantId, "key.export", "refused:" + problem.problem().slug());
      return Future.failedFuture(problem);
    }
    return audit.record(AuditEvent.now(tenantId, kid, describe(by), "key.export", "refused:" + problem.problem().slug(),
            audit.node(), requestId, null))
        .transform(ar -> Future.failedFuture(problem));
  }

  private <T> Future<T> withTenantLock(String tenantId, Supplier<Future<T>> action) {
    return locks.with(tenantId, action);
  }
}
