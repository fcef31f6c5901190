package io.licensor.delegation;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The delegated signing keys' public side in PostgreSQL (table {@code signing_keys}): what every
 * node's jwks.json lists. A key is registered only for the tenant revision it was made for, and
 * only while the tenant is active and its version not destroyed: the insert reads the tenant row
 * under a share lock, so it either commits before a lifecycle change (whose transaction, or
 * trigger, then deletes it) or sees the change and registers nothing.
 */
final class SigningKeyStore {

  static final String NEXT_NUMBER = "SELECT nextval('signing_key_numbers') AS n";
  static final String REGISTER = """
      INSERT INTO signing_keys (tenant_id, version, n, node_id, tenant_revision, public_jwk, sign_until, listed_until)
      SELECT t.id, v.version, $3, $4, t.revision, $5, $6, $7
      FROM tenants t JOIN key_versions v ON v.tenant_id = t.id AND v.version = $2
      WHERE t.id = $1 AND t.revision = $8 AND t.state = 'active' AND v.state <> 'destroyed'
      FOR SHARE OF t""";
  static final String RETIRE =
      "UPDATE signing_keys SET listed_until = LEAST(listed_until, $4) WHERE tenant_id = $1 AND version = $2 AND n = $3";
  static final String PUBLISHED =
      "SELECT public_jwk FROM signing_keys WHERE tenant_id = $1 AND listed_until > now() ORDER BY version, n";
  static final String PURGE = "DELETE FROM signing_keys WHERE listed_until <= now()";

  private final Pool pool;

  SigningKeyStore(Pool pool) {
    this.pool = pool;
  }

  Future<Long> nextNumber() {
    return pool.query(NEXT_NUMBER).execute().map(rows -> rows.iterator().next().getLong("n"));
  }

  /** Registers the key; false if the tenant moved past {@code key.tenantRevision()} (or was cancelled, or the version destroyed). */
  Future<Boolean> register(SigningKey key, String nodeId, JsonObject publicJwk) {
    return pool.preparedQuery(REGISTER).execute(Tuple.of(key.tenantId(), key.version(), key.n(), nodeId, publicJwk,
            utc(key.signUntil()), utc(key.notAfter()))
            .addValue(key.tenantRevision()))
        .map(rows -> rows.rowCount() == 1);
  }

  /** A key that signs no more: listed only until the last use license it signed expires. */
  Future<Void> retire(SigningKey key, Instant listedUntil) {
    return pool.preparedQuery(RETIRE).execute(Tuple.of(key.tenantId(), key.version(), key.n(), utc(listedUntil)))
        .mapEmpty();
  }

  /** The JWKs of the tenant's delegated keys that may still verify a use license. */
  Future<List<JsonObject>> published(String tenantId) {
    return pool.preparedQuery(PUBLISHED).execute(Tuple.of(tenantId)).map(rows -> {
      List<JsonObject> keys = new ArrayList<>();
      for (Row row : rows) {
        Object jwk = row.getValue("public_jwk");
        keys.add(jwk instanceof JsonObject o ? o : new JsonObject(String.valueOf(jwk)));
      }
      return keys;
    });
  }

  /** Deletes the keys no use license needs any more. */
  Future<Integer> purge() {
    return pool.query(PURGE).execute().map(rows -> rows.rowCount());
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
