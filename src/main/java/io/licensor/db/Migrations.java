package io.licensor.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Versioned schema migrations, applied in order at start-up inside one transaction that holds a
 * PostgreSQL advisory lock, so nodes starting together apply each migration exactly once.
 */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
  private static final long LOCK_KEY = 0x6c6963656e736f72L; // "licensor"

  record Migration(int version, String description, String resource) {
    String sql() {
      try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing migration resource " + resource);
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  static final List<Migration> ALL = List.of(
      new Migration(1, "licensing core", "db/migration/V1__licensing_core.sql"),
      new Migration(2, "lifecycle and audit", "db/migration/V2__lifecycle_and_audit.sql"),
      new Migration(3, "byok key-exchange keys", "db/migration/V3__byok.sql"),
      new Migration(4, "tenant revision", "db/migration/V4__tenant_revision.sql"),
      new Migration(5, "breach response", "db/migration/V5__breach_response.sql"),
      new Migration(6, "tenant issuers", "db/migration/V6__tenant_issuers.sql"),
      new Migration(7, "audit keyed chain", "db/migration/V7__audit_keyed_chain.sql"),
      new Migration(8, "directory leases", "db/migration/V8__directory_leases.sql"));

  private Migrations() {
  }

  public static Future<Integer> apply(Pool pool) {
    return pool.withTransaction(conn -> conn.query("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")").execute()
        .compose(r -> conn.query("CREATE TABLE IF NOT EXISTS schema_migrations ("
            + "version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())").execute())
        .compose(r -> conn.query("SELECT coalesce(max(version), 0) AS v FROM schema_migrations").execute())
        .compose(rows -> applyFrom(conn, rows.iterator().next().getInteger("v"))));
  }

  private static Future<Integer> applyFrom(SqlConnection conn, int current) {
    Future<Void> chain = Future.succeededFuture();
    int latest = current;
    for (Migration m : ALL) {
      if (m.version() <= current) {
        continue;
      }
      latest = m.version();
      chain = chain
          .compose(v -> conn.query(m.sql()).execute())
          .compose(v -> conn.preparedQuery("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)")
              .execute(Tuple.of(m.version(), m.description())))
          .map(v -> {
            LOG.info("applied schema migration {} ({})", m.version(), m.description());
            return null;
          });
    }
    int result = latest;
    return chain.map(v -> result);
  }
}
