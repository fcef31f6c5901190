package io.licensor.tenants;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.licensor.errors.Problem;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.KeyToken;
import io.licensor.keys.KeyOrigin;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.text.ParseException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;

/** Reads and writes tenants and their key versions in PostgreSQL. */
public final class TenantStore {

  private final Pool pool;
  private final java.util.Set<String> operatorIssuers;

  /** {@code operatorIssuers}: issuers no tenant may register (their tokens are operators'). */
  public TenantStore(Pool pool, java.util.Set<String> operatorIssuers) {
    this.pool = pool;
    this.operatorIssuers = java.util.Set.copyOf(operatorIssuers);
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
  public Future<KeyVersion> addActiveVersion(String tenantId, java.util.function.IntFunction<KeyVersion> build) {
    return addActiveVersionUnlessSince(tenantId, null, build).map(Optional::orElseThrow);
  }

  /**
   * As {@link #addActiveVersion}, but adds nothing (empty) if the active version was made at or
   * after {@code since} (database time): the test and the insert share the transaction and the
   * tenant row's lock, so a campaign re-keys a tenant once however often it retries.
   */
  public Future<Optional<KeyVersion>> addActiveVersionUnlessSince(String tenantId, java.time.OffsetDateTime since,
                                                                  java.util.function.IntFunction<KeyVersion> build) {
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
          KeyVersion next = build.apply(max.getInteger("v") + 1);
          return conn.preparedQuery(TenantSql.RETAIN_ACTIVE).execute(Tuple.of(tenantId))
              .compose(r -> conn.preparedQuery(TenantSql.INSERT_KEY_VERSION).execute(keyVersionTuple(next)))
              .map(r -> Optional.of(next));
        }));
  }

  /** Sets the subscription state; fails 404 if there is no such tenant. */
  public Future<Void> setState(String tenantId, TenantState state) {
    return pool.preparedQuery(TenantSql.SET_STATE).execute(Tuple.of(tenantId, state.wireName()))
        .compose(r -> r.rowCount() == 1 ? Future.<Void>succeededFuture()
            : Future.failedFuture(Problem.TENANT_NOT_FOUND.with("no tenant '" + tenantId + "'")));
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
              return Future.failedFuture(Problem.KEY_ACTIVE.with("key version " + KeyVersion.kid(tenantId, version)
                  + " is the active version of an active tenant; re-key or cancel the subscription first"));
            }
            return conn.preparedQuery(TenantSql.DESTROY_VERSION).execute(Tuple.of(tenantId, version, reason)).map(r -> true);
          });
        }));
  }

  /**
   * Writes a restored tenant and its key versions in one transaction. An existing tenant is
   * replaced only if {@code replace}; versions destroyed here stay destroyed. Returns whether a
   * tenant was replaced.
   */
  public Future<Boolean> restore(Tenant tenant, List<KeyVersion> versions, boolean replace) {
    return pool.withTransaction(conn -> issuerFree(conn, tenant)
        .compose(v -> conn.preparedQuery(TenantSql.LOCK_TENANT).execute(Tuple.of(tenant.id())))
        .compose(rows -> {
          boolean exists = rows.iterator().hasNext();
          if (exists && !replace) {
            return Future.failedFuture(Problem.TENANT_EXISTS.with("tenant '" + tenant.id()
                + "' exists; restore with ?replace=true to replace its record and key versions"));
          }
          Future<java.util.Set<Integer>> destroyed = exists
              ? conn.preparedQuery(TenantSql.DESTROYED_VERSIONS).execute(Tuple.of(tenant.id())).map(r -> {
                java.util.Set<Integer> set = new java.util.HashSet<>();
                r.forEach(row -> set.add(row.getInteger("version")));
                return set;
              })
              : Future.succeededFuture(java.util.Set.of());
          return destroyed.compose(gone -> {
            Future<?> base = exists
                ? conn.preparedQuery(TenantSql.DELETE_LIVE_VERSIONS).execute(Tuple.of(tenant.id()))
                    .compose(r -> conn.preparedQuery(TenantSql.REPLACE_TENANT).execute(Tuple.of(tenant.id(),
                        tenant.displayName(), tenant.adminEmail(), tenant.identity().toJson(), tenant.state().wireName())))
                : conn.preparedQuery(TenantSql.INSERT_RESTORED_TENANT).execute(Tuple.of(tenant.id(), tenant.displayName(),
                    tenant.adminEmail(), tenant.identity().toJson(), tenant.state().wireName(),
                    java.time.OffsetDateTime.ofInstant(tenant.createdAt(), java.time.ZoneOffset.UTC)));
            List<Tuple> rowsToInsert = versions.stream().filter(v -> !gone.contains(v.version()))
                .map(TenantStore::keyVersionTuple).toList();
            return base.compose(r -> rowsToInsert.isEmpty() ? Future.succeededFuture()
                    : conn.preparedQuery(TenantSql.INSERT_KEY_VERSION).executeBatch(rowsToInsert))
                .map(r -> exists);
          });
        }));
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
        .compose(r -> conn.preparedQuery(TenantSql.OTHER_IDENTITIES_OF_ISSUER).execute(Tuple.of(issuer, tenant.id())))
        .compose(rows -> {
          List<TenantIdentity> others = new ArrayList<>();
          rows.forEach(row -> others.add(identityOf(row.getJsonObject("identity"))));
          String conflict = tenant.identity().conflictWith(others);
          return conflict == null ? Future.<Void>succeededFuture() : Future.failedFuture(Problem.ISSUER_IN_USE.with(conflict));
        });
  }

  /** The same check as at insert, without the lock: lets creation refuse before the HSM makes a key. */
  public Future<Void> issuerAvailable(Tenant tenant) {
    return pool.withConnection(conn -> issuerFree(conn, tenant));
  }

  public Future<Boolean> exists(String tenantId) {
    return pool.preparedQuery(TenantSql.TENANT_EXISTS).execute(Tuple.of(tenantId)).map(rows -> rows.size() > 0);
  }

  public Future<Optional<TenantKeys>> load(String tenantId) {
    return pool.preparedQuery(TenantSql.LOAD_TENANT).execute(Tuple.of(tenantId)).map(TenantStore::toTenantKeys);
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
    List<KeyVersion> versions = new ArrayList<>();
    for (Row row : rows) {
      if (tenant == null) {
        tenant = new Tenant(row.getString("id"), row.getString("display_name"), row.getString("admin_email"),
            identityOf(row.getJsonObject("identity")), TenantState.fromWireName(row.getString("state")),
            row.getOffsetDateTime("created_at").toInstant());
        revision = row.getLong("revision");
      }
      if (row.getInteger("version") != null) {
        versions.add(keyVersionOf(tenant.id(), row));
      }
    }
    return tenant == null ? Optional.empty() : Optional.of(new TenantKeys(tenant, versions, revision, System.currentTimeMillis()));
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
      return new TenantIdentity(json.getString("issuer"), JWKSet.parse(json.getJsonObject("jwks").encode()),
          claim == null ? null : new TenantIdentity.TenantClaim(claim.getString("name"), claim.getString("value")));
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
}
