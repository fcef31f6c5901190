package io.licensor.tenants;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.licensor.errors.Problem;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.KeyToken;
import io.licensor.ids.Kid;
import io.licensor.keys.KeyOrigin;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.rights.RightsTemplate;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.text.ParseException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/** Reads and writes tenants and their key versions in PostgreSQL. */
public final class TenantStore {

  private final Pool pool;
  private final Set<String> operatorIssuers;

  private final int maxVersions;

  /**
   * {@code operatorIssuers}: issuers no tenant may register (their tokens are operators');
   * {@code maxVersions}: the most key versions a tenant may have (destroyed ones count: numbers are never re-used).
   */
  public TenantStore(Pool pool, Set<String> operatorIssuers, int maxVersions) {
    this.pool = pool;
    this.operatorIssuers = Set.copyOf(operatorIssuers);
    this.maxVersions = maxVersions;
  }

  /** Inserts a new tenant with its first (active) key version, in one transaction. */
  public Future<Void> insert(Tenant tenant, KeyVersion first) {
    return pool.withTransaction(conn -> issuerFree(conn, tenant)
            .compose(v -> conn.preparedQuery(TenantSql.INSERT_TENANT)
            .execute(Tuple.of(tenant.id(), tenant.displayName(), tenant.adminEmail(), tenant.identity().toJson())))
            .compose(r -> conn.preparedQuery(TenantSql.INSERT_KEY_VERSION).execute(keyVersionTuple(first))))
        .<Void>mapEmpty()
        .recover(err -> Future.failedFuture(isUniqueViolation(err) ? new DuplicateTenantException() : err));
  }

  /**
   * Adds the tenant's next key version as active; the active one becomes retained. One
   * transaction, holding the tenant row's lock, so concurrent re-keys get consecutive versions
   * and the unique index guarantees a single active version.
   */
  public Future<KeyVersion> addActiveVersion(String tenantId, IntFunction<KeyVersion> build) {
    return addActiveVersionUnlessSince(tenantId, null, false, build).map(Optional::orElseThrow);
  }

  /**
   * As {@link #addActiveVersion}, but adds nothing (empty) if the active version was made at or
   * after {@code since} (database time): the test and the insert share the transaction and the
   * tenant row's lock, so a campaign re-keys a tenant once however often it retries. With
   * {@code revokeSigningKeys} (a campaign after a compromise) the tenant's delegated signing keys
   * are deleted in the same transaction: jwks.json stops listing them, and no node can register one
   * for the revision before it (see {@code delegation.SigningKeyStore}).
   */
  public Future<Optional<KeyVersion>> addActiveVersionUnlessSince(String tenantId, OffsetDateTime since,
                                                                  boolean revokeSigningKeys,
                                                                  IntFunction<KeyVersion> build) {
    return pool.withTransaction(conn -> conn.preparedQuery(TenantSql.LOCK_TENANT).execute(Tuple.of(tenantId))
        .compose(rows -> {
          if (!rows.iterator().hasNext()) {
            return Future.failedFuture(Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'"));
          }
          if (TenantState.fromWireName(rows.iterator().next().getString("state")) == TenantState.CANCELLED) {
            return Future.failedFuture(Problem.SUBSCRIPTION_CANCELLED.with(
                "tenant '" + tenantId + "' cancelled its subscription; reactivate it before re-keying"));
          }
          return conn.preparedQuery(TenantSql.MAX_VERSION).execute(Tuple.of(tenantId));
        })
        .compose(rows -> {
          Row max = rows.iterator().next();
          OffsetDateTime activeSince = max.getOffsetDateTime("active_created_at");
          if (since != null && activeSince != null && !activeSince.isBefore(since)) {
            return Future.succeededFuture(Optional.<KeyVersion>empty());
          }
          if (max.getInteger("v") >= maxVersions) {
            return Future.failedFuture(Problem.LIMIT_REACHED.with("tenant '" + tenantId + "' has " + max.getInteger("v")
                + " key versions, the most a tenant may have (limits.maxKeyVersions); destroyed versions count, as "
                + "version numbers are never re-used"));
          }
          KeyVersion next = build.apply(max.getInteger("v") + 1);
          return conn.preparedQuery(TenantSql.RETAIN_ACTIVE).execute(Tuple.of(tenantId))
              .compose(r -> conn.preparedQuery(TenantSql.INSERT_KEY_VERSION).execute(keyVersionTuple(next)))
              .compose(r -> revokeSigningKeys
                  ? conn.preparedQuery(TenantSql.REVOKE_SIGNING_KEYS).execute(Tuple.of(tenantId)).mapEmpty()
                  : Future.succeededFuture())
              .map(r -> Optional.of(next));
        }));
  }

  /**
   * Reactivates a tenant that has no usable key version (its last one destroyed while cancelled)
   * with a new active one, in one transaction holding the tenant row's lock: the tenant is never
   * active without a key to publish with.
   */
  public Future<KeyVersion> reactivateWith(String tenantId, IntFunction<KeyVersion> build) {
    return pool.withTransaction(conn -> conn.preparedQuery(TenantSql.LOCK_TENANT).execute(Tuple.of(tenantId))
        .compose(rows -> rows.iterator().hasNext()
            ? conn.preparedQuery(TenantSql.MAX_VERSION).execute(Tuple.of(tenantId))
            : Future.failedFuture(Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")))
        .compose(rows -> {
          Row max = rows.iterator().next();
          if (max.getOffsetDateTime("active_created_at") != null) {
            return Future.failedFuture(Problem.INVALID_REQUEST.with("key: tenant '" + tenantId + "' has an active key "
                + "version; reactivate it without one, then re-key if you want a new key"));
          }
          if (max.getInteger("v") >= maxVersions) {
            return Future.failedFuture(Problem.LIMIT_REACHED.with("tenant '" + tenantId + "' has " + max.getInteger("v")
                + " key versions, the most a tenant may have (limits.maxKeyVersions)"));
          }
          KeyVersion next = build.apply(max.getInteger("v") + 1);
          return conn.preparedQuery(TenantSql.INSERT_KEY_VERSION).execute(keyVersionTuple(next))
              .compose(r -> conn.preparedQuery(TenantSql.SET_STATE).execute(Tuple.of(tenantId, TenantState.ACTIVE.wireName())))
              .map(r -> next);
        }));
  }

  /** Sets the subscription state; fails 404 if there is no such tenant. */
  public Future<Void> setState(String tenantId, TenantState state) {
    return pool.preparedQuery(TenantSql.SET_STATE).execute(Tuple.of(tenantId, state.wireName()))
        .compose(r -> r.rowCount() == 1 ? Future.<Void>succeededFuture()
            : Future.failedFuture(Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")));
  }

  /** A tenant before and after a change, and its revision after it (the same when nothing changed). */
  public record Changed(Tenant before, Tenant after, long revision) {
    public boolean changedAnything() {
      return !before.displayName().equals(after.displayName()) || !before.adminEmail().equals(after.adminEmail())
          || !before.identity().toJson().equals(after.identity().toJson())
          || !java.util.Objects.equals(before.maxOfflineAccessSeconds(), after.maxOfflineAccessSeconds());
    }
  }

  /**
   * Changes a tenant's display name, admin e-mail or identity, in one transaction holding the
   * tenant row's lock: fails 412 precondition-failed (with the current ETag) unless the tenant is
   * at one of the {@code expectedRevisions} (null: whatever it is at), 404 if there is none, 409
   * issuer-in-use / 400 as at creation if a new identity's issuer may not be registered. Writes
   * nothing when the change changes nothing.
   */
  public Future<Changed> change(String tenantId, Set<Long> expectedRevisions, UnaryOperator<Tenant> change) {
    return pool.withTransaction(conn -> conn.preparedQuery(TenantSql.LOCK_TENANT_FOR_CHANGE).execute(Tuple.of(tenantId))
        .compose(rows -> {
          if (!rows.iterator().hasNext()) {
            return Future.failedFuture(Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'"));
          }
          Row row = rows.iterator().next();
          long revision = row.getLong("revision");
          if (expectedRevisions != null && !expectedRevisions.contains(revision)) {
            return Future.failedFuture(TenantViews.stale("tenant '" + tenantId + "'", revision));
          }
          Tenant before = tenantOf(row);
          Tenant after = change.apply(before);
          if (!new Changed(before, after, revision).changedAnything()) {
            return Future.succeededFuture(new Changed(before, before, revision));
          }
          boolean newIssuer = !before.identity().issuer().equals(after.identity().issuer())
              || !Objects.equals(before.identity().tenantClaim(), after.identity().tenantClaim());
          return (newIssuer ? issuerFree(conn, after) : Future.<Void>succeededFuture())
              .compose(v -> conn.preparedQuery(TenantSql.CHANGE_TENANT).execute(Tuple.of(tenantId, after.displayName(),
                  after.adminEmail(), after.identity().toJson(), after.maxOfflineAccessSeconds())))
              .map(updated -> new Changed(before, after, updated.iterator().next().getLong("revision")));
        }));
  }

  /**
   * Destroys a key version: its key token is erased for good. The active version of an active
   * tenant cannot be destroyed (409 key-active). Returns false if it was already destroyed.
   */
  public Future<Boolean> destroy(String tenantId, int version, String reason) {
    return pool.withTransaction(conn -> conn.preparedQuery(TenantSql.LOCK_TENANT).execute(Tuple.of(tenantId))
        .compose(rows -> {
          if (!rows.iterator().hasNext()) {
            return Future.failedFuture(Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'"));
          }
          TenantState tenantState = TenantState.fromWireName(rows.iterator().next().getString("state"));
          return conn.preparedQuery(TenantSql.VERSION_STATE).execute(Tuple.of(tenantId, version)).compose(vs -> {
            if (!vs.iterator().hasNext()) {
              return Future.failedFuture(Problem.UNKNOWN_KEY_VERSION.with(
                  "tenant '" + tenantId + "' has no key version " + version));
            }
            KeyVersionState state = KeyVersionState.fromWireName(vs.iterator().next().getString("state"));
            if (state == KeyVersionState.DESTROYED) {
              return Future.succeededFuture(false);
            }
            if (state == KeyVersionState.ACTIVE && tenantState == TenantState.ACTIVE) {
              return Future.failedFuture(Problem.KEY_ACTIVE.with("key version " + Kid.of(tenantId, version)
                  + " is the active version of an active tenant; re-key or cancel the subscription first"));
            }
            return conn.preparedQuery(TenantSql.DESTROY_VERSION).execute(Tuple.of(tenantId, version, reason)).map(r -> true);
          });
        }));
  }

  /** What a restore did: whether a tenant was there, and each change it made to it (empty when none). */
  public record RestoreOutcome(boolean replaced, JsonArray changes) {
  }

  /**
   * Writes a restored tenant and its key versions in one transaction. A tenant that is not here is
   * inserted as the package has it. One that is here is changed only if {@code replace}, and then
   * merged, never rolled back behind the operator's back:
   * <ul>
   *   <li>no version is deleted: a version the package lacks stays (an active one becomes retained
   *       when the package brings another active one), so version numbers never go down and a kid
   *       is never given to another key; a package whose version N is another key than N here is
   *       refused (409 backup-conflict);</li>
   *   <li>a version destroyed here stays destroyed (a tombstone), whatever the package holds;</li>
   *   <li>a package that reflects the tenant as it was before its last lifecycle change here
   *       ({@code reflects} earlier than the tenant's {@code updated_at}) and would change anything
   *       is refused (409 backup-outdated) unless {@code force}.</li>
   * </ul>
   * The caller records the returned changes in the audit.
   */
  public Future<RestoreOutcome> restore(Tenant tenant, List<KeyVersion> versions, Instant reflects,
                                        boolean replace, boolean force) {
    return restore(tenant, versions, Set.of(), List.of(), reflects, replace, force);
  }

  /**
   * The same, with the package's revoked documents and rights templates: every document it names
   * revoked is revoked here too (a union: a restore never makes a revoked document licensable), and
   * each template it holds is added unless the tenant has one of that id or name (the one here is
   * kept: it is at least as new as any backup of it).
   */
  public Future<RestoreOutcome> restore(Tenant tenant, List<KeyVersion> versions, Set<String> revoked,
                                        List<RightsTemplate> templates, Instant reflects, boolean replace, boolean force) {
    return pool.withTransaction(conn -> restoreTenant(conn, tenant, versions, reflects, replace, force)
        .compose(outcome -> restoreLists(conn, tenant.id(), revoked, templates).map(outcome)));
  }

  private Future<Void> restoreLists(SqlConnection conn, String tenantId, Set<String> revoked, List<RightsTemplate> templates) {
    Future<Void> lists = revoked.isEmpty() ? Future.succeededFuture()
        : conn.preparedQuery(TenantSql.RESTORE_REVOKED)
        .execute(Tuple.tuple().addString(tenantId).addArrayOfString(revoked.toArray(new String[0]))).mapEmpty();
    if (templates.isEmpty()) {
      return lists;
    }
    List<Tuple> rows = new ArrayList<>();
    for (RightsTemplate t : templates) {
      rows.add(Tuple.of(tenantId, t.id(), t.name(), t.definition().toJson(),
          t.archivedAt() == null ? null : OffsetDateTime.ofInstant(t.archivedAt(), ZoneOffset.UTC),
          OffsetDateTime.ofInstant(t.createdAt(), ZoneOffset.UTC)));
    }
    return lists.compose(v -> conn.preparedQuery(TenantSql.RESTORE_TEMPLATE).executeBatch(rows)).mapEmpty();
  }

  private Future<RestoreOutcome> restoreTenant(SqlConnection conn, Tenant tenant, List<KeyVersion> versions, Instant reflects,
                                               boolean replace, boolean force) {
    return issuerFree(conn, tenant)
        .compose(v -> conn.preparedQuery(TenantSql.LOCK_TENANT_FOR_RESTORE).execute(Tuple.of(tenant.id())))
        .compose(rows -> {
          if (!rows.iterator().hasNext()) {
            return conn.preparedQuery(TenantSql.INSERT_RESTORED_TENANT).execute(Tuple.of(tenant.id(), tenant.displayName(),
                    tenant.adminEmail(), tenant.identity().toJson(), tenant.state().wireName(),
                    OffsetDateTime.ofInstant(tenant.createdAt(), ZoneOffset.UTC), tenant.maxOfflineAccessSeconds()))
                .compose(r -> insertVersions(conn, versions))
                .map(r -> new RestoreOutcome(false, new JsonArray()));
          }
          if (!replace) {
            return Future.failedFuture(Problem.TENANT_EXISTS.with("tenant '" + tenant.id()
                + "' exists; restore with ?replace=true to merge the package into it"));
          }
          Row current = rows.iterator().next();
          TenantState stateHere = TenantState.fromWireName(current.getString("state"));
          Instant lastChange = current.getOffsetDateTime("updated_at").toInstant();
          return conn.preparedQuery(TenantSql.VERSIONS_FOR_RESTORE).execute(Tuple.of(tenant.id()))
              .compose(here -> RestoreMerge.merge(conn, tenant, versions, stateHere, here, reflects, lastChange, force));
        });
  }

  /** When the tenant last changed here (database time), if it exists. */
  public Future<Optional<Instant>> lastChange(String tenantId) {
    return pool.preparedQuery(TenantSql.LAST_CHANGE).execute(Tuple.of(tenantId)).map(rows -> rows.iterator().hasNext()
        ? Optional.of(rows.iterator().next().getOffsetDateTime("updated_at").toInstant()) : Optional.empty());
  }

  /**
   * Fails with 409 issuer-in-use unless the tenant's issuer may be registered beside the other
   * tenants that trust it ({@link TenantIdentity#conflictWith}); holds the issuer's lock until the
   * transaction ends, so two tenants cannot both pass the check at once.
   */
  private Future<Void> issuerFree(SqlConnection conn, Tenant tenant) {
    String issuer = tenant.identity().issuer();
    if (operatorIssuers.contains(issuer)) {
      return Future.failedFuture(Problem.INVALID_REQUEST.with("identity.issuer '" + issuer
          + "' is an operator issuer of this service; a tenant's users need an issuer of their own"));
    }
    return conn.preparedQuery(TenantSql.LOCK_ISSUER).execute(Tuple.of(issuer))
        .compose(r -> conn.preparedQuery(TenantSql.ISSUER_REGISTRATIONS).execute(Tuple.of(issuer, tenant.id(),
            tenant.identity().tenantClaim() == null ? null : tenant.identity().tenantClaim().toJson())))
        .compose(rows -> {
          Row row = rows.iterator().next();
          String conflict = tenant.identity().conflict(row.getBoolean("taken"), row.getBoolean("unbound"), row.getBoolean("same_claim"));
          return conflict == null ? Future.<Void>succeededFuture() : Future.failedFuture(Problem.ISSUER_IN_USE.with(conflict));
        });
  }

  /** The same check as at insert, without the lock: lets creation refuse before the HSM makes a key. */
  public Future<Void> issuerAvailable(Tenant tenant) {
    return pool.withConnection(conn -> issuerFree(conn, tenant));
  }

  /** A key version's stored token. */
  public record StoredKeyToken(String tenantId, int version, KeyAlgorithm algorithm, KeyToken token) {
    public String kid() {
      return Kid.of(tenantId, version);
    }
  }

  /** The BYOK key versions of world {@code worldId} that still hold a key, with their tokens. */
  public Future<List<StoredKeyToken>> byokKeyTokens(String worldId) {
    return pool.preparedQuery(TenantSql.BYOK_KEY_TOKENS).execute(Tuple.of(worldId)).map(rows -> {
      List<StoredKeyToken> tokens = new ArrayList<>();
      for (Row row : rows) {
        tokens.add(new StoredKeyToken(row.getString("tenant_id"), row.getInteger("version"),
            KeyAlgorithm.fromWireName(row.getString("algorithm")).orElseThrow(), KeyToken.parse(row.getString("key_token"))));
      }
      return tokens;
    });
  }

  /** Replaces a version's token by another token of the same key; false if the version's token changed meanwhile (destroyed, restored). */
  public Future<Boolean> replaceKeyToken(StoredKeyToken stored, KeyToken replacement) {
    return pool.preparedQuery(TenantSql.REPLACE_KEY_TOKEN)
        .execute(Tuple.of(stored.tenantId(), stored.version(), stored.token().encode(), replacement.encode()))
        .map(rows -> rows.rowCount() == 1);
  }

  public Future<Boolean> exists(String tenantId) {
    return pool.preparedQuery(TenantSql.TENANT_EXISTS).execute(Tuple.of(tenantId)).map(rows -> rows.size() > 0);
  }

  /**
   * The tenant with its key versions, then its revoked documents and its rights templates. Three
   * queries (the last two at once), no transaction: the lists are read after the revision, so they
   * are never older than the revision says (a change that commits between them is also in the next
   * load, which its raised revision brings).
   */
  public Future<Optional<TenantKeys>> load(String tenantId) {
    return load(tenantId, null);
  }

  /**
   * The same, with the revoked documents read as the changes since what {@code known} (this node's
   * last load of the tenant, or null) holds: a tenant with a long list pays for its changes, not its
   * length.
   */
  public Future<Optional<TenantKeys>> load(String tenantId, TenantKeys known) {
    return pool.preparedQuery(TenantSql.LOAD_TENANT).execute(Tuple.of(tenantId))
        .compose(rows -> {
          Optional<TenantKeys> t = toTenantKeys(rows);
          if (t.isEmpty()) {
            return Future.succeededFuture(t);
          }
          Future<RevokedDocuments> revoked = revokedDocuments(tenantId, known == null ? RevokedDocuments.NONE
              : known.revokedDocuments());
          Future<RowSet<Row>> templates = pool.preparedQuery(TenantSql.TEMPLATES_OF_TENANT).execute(Tuple.of(tenantId));
          return Future.all(revoked, templates).map(both -> {
            RevokedDocuments ids = revoked.result();
            Map<String, RightsTemplate> byId = new HashMap<>();
            templates.result().forEach(r -> byId.put(r.getString("id"), TemplateStore.templateOf(r)));
            TenantKeys k = t.get();
            return Optional.of(new TenantKeys(k.tenant(), k.versions(), k.revision(), k.changeEpoch(), k.loadedAtMillis(), ids,
                byId));
          });
        });
  }

  /** {@code known} with the changes past it, or the whole list when {@code known} is newer than the database. */
  private Future<RevokedDocuments> revokedDocuments(String tenantId, RevokedDocuments known) {
    return pool.preparedQuery(TenantSql.REVOCATIONS_SINCE).execute(Tuple.of(tenantId, known.through()))
        .compose(rows -> {
          List<RevokedDocuments.Change> changes = new ArrayList<>();
          rows.forEach(r -> {
            if (r.getLong("seq") != null) { // max(seq) of a tenant with no rows is null
              changes.add(new RevokedDocuments.Change(r.getString("content_id"), Boolean.TRUE.equals(r.getBoolean("revoked")),
                  r.getLong("seq")));
            }
          });
          changes.sort(java.util.Comparator.comparingLong(RevokedDocuments.Change::seq));
          RevokedDocuments next = known.with(changes);
          return next != null ? Future.succeededFuture(next) : revokedDocuments(tenantId, RevokedDocuments.NONE);
        });
  }

  /**
   * Revokes ({@code revoke}) or un-revokes a document of the tenant, raising the tenant's revision
   * when that changed anything; false if it was so already. 404 if there is no such tenant.
   */
  public Future<Boolean> revokeDocument(String tenantId, String contentId, String by, boolean revoke) {
    return pool.withTransaction(conn -> lockTenant(conn, tenantId)
        .compose(v -> conn.preparedQuery(revoke ? TenantSql.REVOKE_DOCUMENT : TenantSql.UNREVOKE_DOCUMENT)
            .execute(revoke ? Tuple.of(tenantId, contentId, by) : Tuple.of(tenantId, contentId)))
        .compose(r -> r.rowCount() == 0 ? Future.succeededFuture(false)
            : conn.preparedQuery(TenantSql.TOUCH_TENANT).execute(Tuple.of(tenantId)).map(x -> true)));
  }

  /** Locks the tenant's row for the rest of the transaction; 404 tenant-not-found if there is none. */
  static Future<Void> lockTenant(SqlConnection conn, String tenantId) {
    return conn.preparedQuery(TenantSql.LOCK_TENANT).execute(Tuple.of(tenantId))
        .compose(rows -> rows.iterator().hasNext() ? Future.<Void>succeededFuture()
            : Future.failedFuture(Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")));
  }

  /** The current revision of each of these tenants that exists. */
  public Future<Map<String, Long>> revisions(Collection<String> tenantIds) {
    return pool.preparedQuery(TenantSql.REVISIONS).execute(Tuple.of(tenantIds.toArray(new String[0]))).map(rows -> {
      Map<String, Long> revisions = new HashMap<>();
      rows.forEach(r -> revisions.put(r.getString("id"), r.getLong("revision")));
      return revisions;
    });
  }

  /** Ids of tenants that trust this issuer (at most 10). */
  public Future<List<String>> tenantsTrusting(String issuer) {
    return pool.preparedQuery(TenantSql.TENANTS_BY_ISSUER).execute(Tuple.of(issuer)).map(rows -> {
      List<String> ids = new ArrayList<>();
      rows.forEach(r -> ids.add(r.getString("id")));
      return ids;
    });
  }

  /** Inserts restored versions: those with a key as they are, destroyed ones as tombstones. */
  static Future<Void> insertVersions(SqlConnection conn, List<KeyVersion> versions) {
    List<Tuple> live = versions.stream().filter(v -> v.state() != KeyVersionState.DESTROYED).map(TenantStore::keyVersionTuple).toList();
    List<Tuple> tombstones = versions.stream().filter(v -> v.state() == KeyVersionState.DESTROYED).map(TenantStore::tombstoneTuple).toList();
    Future<?> chain = live.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(TenantSql.INSERT_KEY_VERSION).executeBatch(live);
    return chain.compose(x -> tombstones.isEmpty() ? Future.succeededFuture()
        : conn.preparedQuery(TenantSql.INSERT_TOMBSTONE).executeBatch(tombstones)).mapEmpty();
  }

  static Tuple tombstoneTuple(KeyVersion v) {
    return Tuple.of(v.tenantId(), v.version(), v.algorithm().wireName(), v.origin().wireName(),
        new JsonObject(v.publicJwk().toPublicJWK().toJSONObject()));
  }

  static Tuple keyVersionTuple(KeyVersion v) {
    return Tuple.tuple()
        .addString(v.tenantId())
        .addInteger(v.version())
        .addString(v.state().wireName())
        .addString(v.algorithm().wireName())
        .addString(v.origin().wireName())
        .addValue(new JsonObject(v.publicJwk().toPublicJWK().toJSONObject()))
        .addString(v.token() == null ? null : v.token().encode())
        .addString(v.token() == null ? "" : v.token().worldId());
  }

  private static Optional<TenantKeys> toTenantKeys(RowSet<Row> rows) {
    Tenant tenant = null;
    long revision = 0;
    long changeEpoch = 0;
    List<KeyVersion> versions = new ArrayList<>();
    for (Row row : rows) {
      if (tenant == null) {
        tenant = tenantOf(row);
        revision = row.getLong("revision");
        changeEpoch = row.getLong("change_epoch");
      }
      if (row.getInteger("version") != null) {
        versions.add(keyVersionOf(tenant.id(), row));
      }
    }
    return tenant == null ? Optional.empty() : Optional.of(new TenantKeys(tenant, versions, revision, changeEpoch,
        System.currentTimeMillis()));
  }

  private static Tenant tenantOf(Row row) {
    return new Tenant(row.getString("id"), row.getString("display_name"), row.getString("admin_email"),
        identityOf(row.getJsonObject("identity")), TenantState.fromWireName(row.getString("state")),
        row.getOffsetDateTime("created_at").toInstant(), row.getLong("max_offline_access_seconds"));
  }

  private static KeyVersion keyVersionOf(String tenantId, Row row) {
    String token = row.getString("key_token");
    OffsetDateTime created = row.getOffsetDateTime("key_created_at");
    try {
      return new KeyVersion(tenantId, row.getInteger("version"),
          KeyVersionState.fromWireName(row.getString("key_state")),
          KeyAlgorithm.fromWireName(row.getString("algorithm")).orElseThrow(),
          KeyOrigin.fromWireName(row.getString("origin")).orElseThrow(),
          JWK.parse(row.getJsonObject("public_jwk").encode()),
          token == null ? null : KeyToken.parse(token),
          created.toInstant());
    } catch (ParseException e) {
      throw new IllegalStateException("stored public key of " + tenantId + " does not parse", e);
    }
  }

  private static TenantIdentity identityOf(JsonObject json) {
    try {
      JsonObject claim = json.getJsonObject("tenantClaim");
      JsonObject jwks = json.getJsonObject("jwks");
      return new TenantIdentity(json.getString("issuer"), jwks == null ? null : JWKSet.parse(jwks.encode()),
          json.getString("jwksUri"), Boolean.TRUE.equals(json.getBoolean("discovery")),
          claim == null ? null : new TenantIdentity.TenantClaim(claim.getString("name"), claim.getString("value")),
          ClaimMapping.fromJson(json.getValue("claims")));
    } catch (ParseException e) {
      throw new IllegalStateException("stored identity JWKS does not parse", e);
    }
  }

  private static boolean isUniqueViolation(Throwable err) {
    return err instanceof PgException pg && "23505".equals(pg.getSqlState());
  }

  /** The tenant id is taken. */
  public static final class DuplicateTenantException extends RuntimeException {
    DuplicateTenantException() {
      super("tenant exists", null, false, false);
    }
  }

  /**
   * A tenant's admin address, for breach notices, whether its subscription is cancelled, and
   * whether its active key is one the customer brought (BYOK).
   */
  public record AdminContact(String id, String adminEmail, boolean cancelled, boolean byok) {
  }

  /** The tenants named, or all ({@code all}), in id order; inside the caller's transaction when {@code client} is one. */
  public Future<List<AdminContact>> adminContacts(SqlClient client, boolean all, List<String> ids) {
    return client.preparedQuery(TenantSql.ADMIN_CONTACTS)
        .execute(Tuple.tuple().addBoolean(all).addArrayOfString(ids.toArray(new String[0])))
        .map(rows -> {
          List<AdminContact> tenants = new ArrayList<>();
          rows.forEach(r -> tenants.add(new AdminContact(r.getString("id"), r.getString("admin_email"),
              "cancelled".equals(r.getString("state")), "byok".equals(r.getString("active_origin")))));
          return tenants;
        });
  }
}
