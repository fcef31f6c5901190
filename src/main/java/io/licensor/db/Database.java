package io.licensor.db;

import io.licensor.config.LicensorConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.ClosedConnectionException;
import io.vertx.sqlclient.DatabaseException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The node's PostgreSQL: the configured server, or (with no {@code database.url}) an embedded
 * PostgreSQL under the data directory. Migrated before anything else uses it.
 */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final Pool pool;
  private final Pool auditReads;
  private volatile EmbeddedDatabase embedded;
  private final Vertx vertx;
  private long watchdog = -1;
  private volatile boolean closing;
  private final AtomicBoolean restarting = new AtomicBoolean();

  private Database(Vertx vertx, Pool pool, Pool auditReads, EmbeddedDatabase embedded) {
    this.vertx = vertx;
    this.pool = pool;
    this.auditReads = auditReads;
    this.embedded = embedded;
  }

  /**
   * An embedded PostgreSQL that dies under the node (killed, crashed) is noticed within two
   * seconds and started again on its port: readiness shows the database down meanwhile, and the
   * pools reconnect to it.
   */
  private void watch() {
    if (embedded == null) {
      return;
    }
    watchdog = vertx.setPeriodic(2000, t -> {
      EmbeddedDatabase current = embedded;
      if (closing || current == null || current.alive() || !restarting.compareAndSet(false, true)) {
        return;
      }
      LOG.error("the embedded PostgreSQL on port {} is gone (killed or crashed); starting it again", current.port());
      vertx.executeBlocking(current::restart, false).onComplete(ar -> {
        restarting.set(false);
        if (ar.succeeded()) {
          if (closing) {
            ar.result().stop();
            return;
          }
          embedded = ar.result();
          LOG.info("the embedded PostgreSQL is running again on port {}", ar.result().port());
        } else {
          LOG.error("cannot start the embedded PostgreSQL again: {}; trying again in 2 s", ar.cause().getMessage());
        }
      });
    });
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
      // Startup parameters of every session: its name in pg_stat_activity, and how long it may
      // sit idle in a transaction (a paused node's row locks are released after that long).
      connect.addProperty("application_name", applicationName(config.nodeId()));
      connect.addProperty("idle_in_transaction_session_timeout", Integer.toString(config.databaseIdleTransactionTimeoutMs()));
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
      Database db = new Database(vertx, pool, auditReads, embedded.result());
      LOG.info("database: {}:{}/{}{}", connect.getHost(), connect.getPort(), connect.getDatabase(),
          embedded.result() != null ? " (embedded, under the data directory)" : "");
      return vertx.executeBlocking(() -> Migrations.apply(connect), false)
          .map(version -> {
            db.watch();
            return db;
          })
          .recover(err -> db.close().transform(x -> Future.failedFuture(err)));
    });
  }

  /** "licensor {node}", as PostgreSQL keeps it: printable ASCII, at most 63 bytes. */
  static String applicationName(String nodeId) {
    String name = ("licensor " + nodeId).replaceAll("[^\\x20-\\x7e]", "?");
    return name.length() > 63 ? name.substring(0, 63) : name;
  }

  /**
   * Whether a failure means the database cannot be reached or is going away (refused or broken
   * connection, server shutting down, connection-class SQL states), rather than a bad statement:
   * the caller gets 503 and should retry.
   */
  public static boolean unavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ConnectException || t instanceof ClosedConnectionException
          || t instanceof ClosedChannelException) {
        return true;
      }
      if (t instanceof DatabaseException db && db.getSqlState() != null
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
    closing = true;
    if (watchdog >= 0) {
      vertx.cancelTimer(watchdog);
    }
    return auditReads.close().transform(x -> pool.close()).compose(v -> closeEmbedded());
  }

  /**
   * Stops the embedded PostgreSQL, if this node started one, on a plain thread: it waits for
   * pg_ctl, and may be called after Vert.x itself was closed.
   */
  public Future<Void> closeEmbedded() {
    closing = true;
    EmbeddedDatabase current = embedded;
    if (current == null) {
      return Future.succeededFuture();
    }
    return Future.fromCompletionStage(CompletableFuture.runAsync(current::stop));
  }
}
