package io.licensor.db;

import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;

/**
 * Versioned schema migrations ({@code db/migration/V{n}__{name}.sql}) applied by Flyway at
 * start-up: each is checksummed, the applied ones are validated against the files (an edited or
 * missing migration stops the node), and nodes starting together apply each exactly once (Flyway
 * holds a PostgreSQL advisory lock). A database migrated by licensor's own runner before Flyway
 * (table {@code schema_migrations}) is baselined at the version it reached; its later migrations
 * are Flyway's. Runs JDBC: call it off the event loop.
 */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {
  }

  /** Migrates the database to the latest version; returns the schema version it is at. */
  public static int apply(PgConnectOptions connect) {
    String url = jdbcUrl(connect);
    Properties credentials = new Properties();
    credentials.setProperty("user", connect.getUser());
    credentials.setProperty("password", connect.getPassword() == null ? "" : connect.getPassword());
    int before = legacyVersion(url, credentials);
    var configuration = Flyway.configure()
        .dataSource(url, connect.getUser(), credentials.getProperty("password"))
        .locations("classpath:db/migration")
        .validateOnMigrate(true)
        .cleanDisabled(true);
    if (before > 0) {
      configuration.baselineOnMigrate(true).baselineVersion(Integer.toString(before))
          .baselineDescription("migrated by licensor before Flyway");
    }
    MigrateResult result = configuration.load().migrate();
    if (result.migrationsExecuted > 0) {
      result.migrations.forEach(m -> LOG.info("applied schema migration {} ({})", m.version, m.description));
    }
    String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
    return version == null ? 0 : Integer.parseInt(version);
  }

  /**
   * The version licensor's own runner (before Flyway) brought the database to, if Flyway has not
   * taken it over yet; else 0.
   */
  private static int legacyVersion(String url, Properties credentials) {
    try (Connection c = DriverManager.getConnection(url, credentials);
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('schema_migrations') IS NOT NULL AS legacy,"
             + " to_regclass('flyway_schema_history') IS NOT NULL AS flyway")) {
      rs.next();
      if (!rs.getBoolean("legacy") || rs.getBoolean("flyway")) {
        return 0;
      }
      try (ResultSet v = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_migrations")) {
        v.next();
        return v.getInt(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the schema version: " + e.getMessage(), e);
    }
  }

  /** The JDBC form of the node's connection options (host, port, database, TLS mode). */
  static String jdbcUrl(PgConnectOptions connect) {
    String host = connect.getHost().contains(":") ? "[" + connect.getHost() + "]" : connect.getHost();
    StringBuilder url = new StringBuilder("jdbc:postgresql://").append(host).append(':').append(connect.getPort())
        .append('/').append(connect.getDatabase());
    SslMode mode = connect.getSslMode();
    if (mode != null) {
      url.append("?sslmode=").append(mode.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    return url.toString();
  }
}
