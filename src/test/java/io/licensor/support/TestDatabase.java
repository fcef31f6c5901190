package io.licensor.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A real PostgreSQL for tests: the server named by LICENSOR_TEST_DATABASE_URL
 * (postgresql://user:password@host:port/db; .ci/run starts Debian's PostgreSQL and sets it), or
 * else one embedded PostgreSQL started for the whole test run. Each test node gets a fresh database.
 */
public final class TestDatabase {

  private static String host;
  private static int port;
  private static String user;
  private static String password;
  private static String adminDb;

  private TestDatabase() {
  }

  private static synchronized void init() {
    if (host != null) {
      return;
    }
    String url = System.getenv("LICENSOR_TEST_DATABASE_URL");
    if (url != null && !url.isBlank()) {
      URI uri = URI.create(url);
      host = uri.getHost();
      port = uri.getPort() > 0 ? uri.getPort() : 5432;
      String[] userInfo = uri.getUserInfo() == null ? new String[] {"postgres", ""} : uri.getUserInfo().split(":", 2);
      user = userInfo[0];
      password = userInfo.length > 1 ? userInfo[1] : "";
      SecretLedger.password(password);
      adminDb = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
      return;
    }
    try {
      EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
      host = "127.0.0.1";
      port = pg.getPort();
      user = "postgres";
      password = "";
      adminDb = "postgres";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether tests run against an external server (as in CI) rather than the embedded one. */
  public static boolean external() {
    String url = System.getenv("LICENSOR_TEST_DATABASE_URL");
    return url != null && !url.isBlank();
  }

  /** Creates an empty database and returns its postgresql:// URL (credentials included). */
  public static String freshDatabaseUrl() {
    init();
    String name = "licensor_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + adminDb, user, password);
         Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create a test database", e);
    }
    String auth = password.isEmpty() ? user : user + ":" + password;
    return "postgresql://" + auth + "@" + host + ":" + port + "/" + name;
  }

  /** Runs SQL statements on a database (to tamper with it, as an attacker with database access would). */
  public static void execute(String databaseUrl, String sql) {
    try (Connection c = connect(databaseUrl);
         Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Connection connect(String databaseUrl) throws SQLException {
    URI uri = URI.create(databaseUrl);
    return DriverManager.getConnection("jdbc:postgresql://" + uri.getHost() + ":" + uri.getPort() + uri.getPath(), user, password);
  }

  /** Drops a whole database, as in a disaster. */
  public static void drop(String databaseUrl) {
    init();
    String name = URI.create(databaseUrl).getPath().substring(1);
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + adminDb, user, password);
         Statement s = c.createStatement()) {
      s.execute("DROP DATABASE " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The text of a one-row, one-column query. */
  public static String text(String databaseUrl, String sql) {
    try (Connection c = connect(databaseUrl);
         Statement s = c.createStatement();
         var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs one SQL query on a database (for assertions about what was stored). */
  public static long count(String databaseUrl, String sql) {
    try (Connection c = connect(databaseUrl);
         Statement s = c.createStatement();
         var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
