package io.licensor.db;

import io.licensor.config.LicensorConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's PostgreSQL: the configured server, or (with no {@code database.url}) an embedded
 * PostgreSQL under the data directory. Migrated before anything else uses it.
 */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final Pool pool;
  private final Pool auditReads;
  private final EmbeddedDatabase embedded;

  private Database(Pool pool, Pool auditReads, EmbeddedDatabase embedded) {
    this.pool = pool;
    this.auditReads = auditReads;
    this.embedded = embedded;
  }

  public Pool pool() {
    return pool;
  }

  /**
   * A small pool of its own (2 connections) for audit reads and their verification: however many
   * read the audit at once, they wait for these, never for the connections key-use records and
   * licensing need.
   */
  public Pool auditReads() {
    return auditReads;
  }

  public static Future<Database> start(Vertx vertx, LicensorConfig config) {
    Future<PgConnectOptions> options;
    Future<EmbeddedDatabase> embedded;
    if (config.databaseUrl() == null) {
      embedded = vertx.executeBlocking(() -> EmbeddedDatabase.start(config.dataDir(), config.embeddedDatabasePort()));
      options = embedded.map(EmbeddedDatabase::connectOptions);
    } else {
      embedded = Future.succeededFuture(null);
      PgConnectOptions parsed = PgConnectOptions.fromUri(config.databaseUrl());
      if (parsed.getUser() == null || parsed.getUser().isEmpty()) {
        parsed.setUser(config.databaseUser());
      }
      if (config.databasePassword() != null) {
        parsed.setPassword(config.databasePassword());
      } else if (parsed.getPassword() == null) {
        parsed.setPassword("");
      }
      options = Future.succeededFuture(parsed);
    }
    return options.compose(connect -> {
      connect.setCachePreparedStatements(true).setPipeliningLimit(16);
      Pool pool = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(config.databasePoolSize()).setShared(false))
          .connectingTo(connect)
          .using(vertx)
          .build();
      Pool auditReads = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(2).setShared(false).setMaxWaitQueueSize(64))
          .connectingTo(connect)
          .using(vertx)
          .build();
      Database db = new Database(pool, auditReads, embedded.result());
      LOG.info("database: {}:{}/{}{}", connect.getHost(), connect.getPort(), connect.getDatabase(),
          embedded.result() != null ? " (embedded, under the data directory)" : "");
      return Migrations.apply(pool)
          .map(version -> db)
          .recover(err -> db.close().transform(x -> Future.failedFuture(err)));
    });
  }

  /**
   * Whether a failure means the database cannot be reached or is going away (refused or broken
   * connection, server shutting down, connection-class SQL states), rather than a bad statement:
   * the caller gets 503 and should retry.
   */
  public static boolean unavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof io.vertx.sqlclient.ClosedConnectionException
          || t instanceof java.nio.channels.ClosedChannelException) {
        return true;
      }
      if (t instanceof io.vertx.sqlclient.DatabaseException db && db.getSqlState() != null
          && (db.getSqlState().startsWith("08") || db.getSqlState().startsWith("57P"))) {
        return true;
      }
    }
    return false;
  }

  /** Checks the database answers; used by readiness. */
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  /** Closes the pool (the caller's Vert.x instance still runs). */
  public Future<Void> close() {
    return auditReads.close().transform(x -> pool.close()).compose(v -> closeEmbedded());
  }

  /**
   * Stops the embedded PostgreSQL, if this node started one, on a plain thread: it waits for
   * pg_ctl, and may be called after Vert.x itself was closed.
   */
  public Future<Void> closeEmbedded() {
    if (embedded == null) {
      return Future.succeededFuture();
    }
    return Future.fromCompletionStage(java.util.concurrent.CompletableFuture.runAsync(embedded::stop));
  }
}
