package io.licensor.byok;

import io.licensor.hsm.KeyToken;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

/** Key-exchange keys in PostgreSQL (table {@code byok_keks}): their tokens, tenants and expiry. */
public final class KekStore {

  private static final String INSERT =
      "INSERT INTO byok_keks (kid, tenant_id, key_token, world_id, public_pem, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";
  private static final String FIND = "SELECT tenant_id, key_token, expires_at FROM byok_keks WHERE kid = $1";
  /** KEKs expired for more than a day are deleted (an import with one a day old still hears "expired"). */
  private static final String PURGE_EXPIRED = "DELETE FROM byok_keks WHERE expires_at < now() - interval '1 day'";
  private static final String LIVE = "SELECT count(*) AS n FROM byok_keks WHERE tenant_id = $1 AND expires_at > now()";

  /** A stored KEK: whose it is, its key token, until when it may be used. */
  record StoredKek(String tenantId, KeyToken token, Instant expiresAt) {
  }

  private final Pool pool;

  public KekStore(Pool pool) {
    this.pool = pool;
  }

  Future<Void> purgeExpired() {
    return pool.query(PURGE_EXPIRED).execute().mapEmpty();
  }

  /** The tenant's KEKs not yet expired. */
  Future<Long> live(String tenantId) {
    return pool.preparedQuery(LIVE).execute(Tuple.of(tenantId)).map(rows -> rows.iterator().next().getLong("n"));
  }

  Future<Void> insert(String kid, String tenantId, KeyToken token, String publicPem, Instant expires) {
    return pool.preparedQuery(INSERT).execute(Tuple.of(kid, tenantId, token.encode(), token.worldId(), publicPem,
        OffsetDateTime.ofInstant(expires, ZoneOffset.UTC))).mapEmpty();
  }

  Future<Optional<StoredKek>> find(String kid) {
    return pool.preparedQuery(FIND).execute(Tuple.of(kid)).map(rows -> {
      Row row = rows.iterator().hasNext() ? rows.iterator().next() : null;
      return row == null ? Optional.empty() : Optional.of(new StoredKek(row.getString("tenant_id"),
          KeyToken.parse(row.getString("key_token")), row.getOffsetDateTime("expires_at").toInstant()));
    });
  }
}
