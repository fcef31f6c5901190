package io.licensor.db;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The embedded default: a real PostgreSQL (zonky's packaged binaries) whose data lives in
 * {@code <dataDir>/postgres}, kept across restarts. Started and stopped off the event loop.
 *
 * <p>Nobody gets in without a password: the cluster is made with SCRAM authentication for every
 * connection (initdb's {@code trust} lines are never written), it listens on 127.0.0.1 only, has no
 * Unix socket and accepts no replication connection. Its superuser's password and the password of
 * licensor's own role live in {@link EmbeddedCredentials} (0600). The node connects as
 * {@value #ROLE}, a role that is not a superuser and owns only its own database {@value #DATABASE}:
 * it cannot read files through SQL, run programs ({@code COPY ... TO PROGRAM}) or create roles.
 *
 * <p>A data directory made by an earlier licensor (trust for every local user, licensor's tables in
 * the {@code postgres} database of the superuser) is locked down on its first start here: the
 * superuser gets its password, the tables move to {@value #DATABASE} and to licensor's role.
 */
final class EmbeddedDatabase {

  static final String ROLE = "licensor";
  static final String DATABASE = "licensor";
  private static final String SUPERUSER = "postgres";
  private static final String HBA_MARKER = "# licensor: SCRAM passwords over loopback only";
  private static final String HBA = HBA_MARKER + """

      # (written by licensor; no trust, no Unix socket, no replication)
      # TYPE  DATABASE  USER  ADDRESS        METHOD
      host    all       all   127.0.0.1/32   scram-sha-256
      host    all       all   ::1/128        scram-sha-256
      """;

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

  private final EmbeddedPostgres postgres;
  private final EmbeddedCredentials credentials;
  private final Path dataDir;
  /** The postmaster's process, or null where its pid file cannot be read. */
  private final ProcessHandle postmaster;

  private EmbeddedDatabase(EmbeddedPostgres postgres, EmbeddedCredentials credentials, Path dataDir, ProcessHandle postmaster) {
    this.postgres = postgres;
    this.credentials = credentials;
    this.dataDir = dataDir;
    this.postmaster = postmaster;
  }

  static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
    Path pgData = dataDir.resolve("postgres");
    Files.createDirectories(dataDir);
    stopOrphan(pgData);
    EmbeddedCredentials credentials = EmbeddedCredentials.loadOrCreate(dataDir);
    boolean fresh = !Files.exists(pgData.resolve("postgresql.conf"));
    boolean lockedDown = !fresh && Files.readString(pgData.resolve("pg_hba.conf")).startsWith(HBA_MARKER);
    Path passwordFile = fresh ? credentials.writeSuperuserPasswordFile(dataDir) : null;
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(pgData)
        .setCleanDataDirectory(false)
        .setPGStartupWait(Duration.ofSeconds(60))
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("unix_socket_directories", "")
        .setServerConfig("password_encryption", "scram-sha-256")
        .setServerConfig("max_connections", "100")
        // zonky's default is off, made for throw-away test databases: a commit answered would be lost with
        // the server (kill -9, a crash). This one holds tenants, key tokens and the audit
        .setServerConfig("synchronous_commit", "on")
        // zonky checks the server is up by connecting as the superuser
        .setConnectConfig("password", credentials.superuserPassword());
    if (fresh) {
      // passed to initdb after zonky's own "-A trust": the later option wins
      builder.setLocaleConfig("auth", "scram-sha-256").setLocaleConfig("pwfile", passwordFile.toString());
    }
    if (fresh || lockedDown) {
      builder.setDataDirectoryCustomizer(dir -> writeHba(dir.toPath()));
    }
    if (port > 0) {
      builder.setPort(port);
    }
    EmbeddedPostgres pg;
    try {
      pg = builder.start();
    } finally {
      if (passwordFile != null) {
        Files.deleteIfExists(passwordFile);
      }
    }
    try {
      if (!fresh && !lockedDown) {
        lockDownEarlierCluster(pg.getPort(), credentials, pgData);
      }
      provision(pg.getPort(), credentials);
    } catch (SQLException | RuntimeException e) {
      pg.close();
      throw new IOException("cannot set up the embedded PostgreSQL's roles: " + e.getMessage(), e);
    }
    ProcessHandle postmaster = postmasterOf(pgData).orElse(null);
    LOG.info("embedded PostgreSQL started on 127.0.0.1:{} with data in {} (role {}, passwords in {}; pid {})",
        pg.getPort(), pgData, ROLE, EmbeddedCredentials.pathIn(dataDir), postmaster == null ? "unknown" : postmaster.pid());
    return new EmbeddedDatabase(pg, credentials, dataDir, postmaster);
  }

  /**
   * The live postmaster of this data directory, from its {@code postmaster.pid} (pid on the first
   * line, data directory on the second), if that process is a PostgreSQL server.
   */
  static Optional<ProcessHandle> postmasterOf(Path pgData) {
    Path pidFile = pgData.resolve("postmaster.pid");
    try {
      List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
      if (lines.size() < 2) {
        return Optional.empty();
      }
      long pid = Long.parseLong(lines.get(0).trim());
      if (!Files.isSameFile(Path.of(lines.get(1).trim()), pgData)) {
        return Optional.empty();
      }
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(h -> h.info().command().map(c -> c.endsWith("postgres") || c.endsWith("postmaster")).orElse(false));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * A PostgreSQL of this data directory still running when the node starts was left by a node
   * that did not stop (kill -9, a crash, the OOM killer): nobody else starts one there. It is
   * stopped (SIGTERM: the dead node's connections are gone, so it ends at once; SIGKILL, to it and
   * its backends, if it has not within 10 s), so that ours can start at once rather than wait for
   * it and fail.
   */
  private static void stopOrphan(Path pgData) {
    postmasterOf(pgData).ifPresent(orphan -> {
      LOG.warn("an embedded PostgreSQL (pid {}) of this data directory is still running, left by a node that did not stop; "
          + "stopping it", orphan.pid());
      List<ProcessHandle> backends = orphan.descendants().toList();
      orphan.destroy();
      try {
        orphan.onExit().get(10, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        LOG.warn("the orphaned PostgreSQL (pid {}) did not stop within 10 s; killing it", orphan.pid());
        orphan.destroyForcibly();
        backends.forEach(ProcessHandle::destroyForcibly);
        try {
          orphan.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception again) {
          throw new IllegalStateException("cannot stop the orphaned embedded PostgreSQL (pid " + orphan.pid() + ")");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException e) {
        // it is gone
      }
      for (ProcessHandle b : backends) {
        try {
          b.onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          b.destroyForcibly();
        }
      }
    });
  }

  /** Whether this node's PostgreSQL still runs (true where its process is not known). */
  boolean alive() {
    return postmaster == null || postmaster.isAlive();
  }

  /** A PostgreSQL that died under the node, started again on the same port and data. Blocks. */
  EmbeddedDatabase restart() throws IOException {
    try {
      postgres.close(); // zonky's bookkeeping; the server is gone already
    } catch (IOException | RuntimeException e) {
      // nothing left to stop
    }
    return start(dataDir, postgres.getPort());
  }

  int port() {
    return postgres.getPort();
  }

  private static void writeHba(Path pgData) {
    try {
      Files.writeString(pgData.resolve("pg_hba.conf"), HBA, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(pgData.resolve("pg_hba.conf"), PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A cluster an earlier licensor made with initdb's trust lines: password the superuser, then require it. */
  private static void lockDownEarlierCluster(int port, EmbeddedCredentials credentials, Path pgData) throws SQLException {
    LOG.warn("the embedded PostgreSQL under {} trusted every local user; setting passwords and requiring them", pgData);
    try (Connection c = DriverManager.getConnection(url(port, "postgres"), SUPERUSER, "");
         Statement s = c.createStatement()) {
      s.execute("ALTER ROLE " + SUPERUSER + " PASSWORD " + literal(credentials.superuserPassword()));
      writeHba(pgData);
      s.execute("SELECT pg_reload_conf()");
    }
  }

  /**
   * Makes licensor's role and database (idempotent, so a start interrupted half-way finishes the
   * next time), moving the tables an earlier licensor kept in the superuser's {@code postgres}
   * database; nobody but the superuser may connect to the other databases.
   */
  private static void provision(int port, EmbeddedCredentials credentials) throws SQLException {
    String superuserPassword = credentials.superuserPassword();
    try (Connection c = DriverManager.getConnection(url(port, "template1"), SUPERUSER, superuserPassword);
         Statement s = c.createStatement()) {
      String attributes = " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD " + literal(credentials.password());
      s.execute((exists(s, "SELECT 1 FROM pg_roles WHERE rolname = '" + ROLE + "'") ? "ALTER ROLE " : "CREATE ROLE ") + ROLE + attributes);
      if (!exists(s, "SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
        if (earlierTablesIn(port, superuserPassword)) {
          LOG.warn("moving licensor's tables from the superuser's database 'postgres' to '{}', owned by role {}", DATABASE, ROLE);
          s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'postgres' AND pid <> pg_backend_pid()");
          s.execute("ALTER DATABASE postgres RENAME TO " + DATABASE);
          s.execute("ALTER DATABASE " + DATABASE + " OWNER TO " + ROLE);
        } else {
          s.execute("CREATE DATABASE " + DATABASE + " OWNER " + ROLE);
        }
      }
      if (!exists(s, "SELECT 1 FROM pg_database WHERE datname = 'postgres'")) {
        s.execute("CREATE DATABASE postgres");
      }
      s.execute("REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC");
      s.execute("REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC");
    }
    try (Connection c = DriverManager.getConnection(url(port, DATABASE), SUPERUSER, superuserPassword);
         Statement s = c.createStatement()) {
      // what the superuser owns in licensor's schema becomes licensor's (tables first: their sequences follow them)
      s.execute("""
          DO $$
          DECLARE r record;
          BEGIN
            EXECUTE 'ALTER SCHEMA public OWNER TO %1$s';
            FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                       AND pg_get_userbyid(c.relowner) <> '%1$s' LOOP
              EXECUTE format('ALTER %%s %%s OWNER TO %1$s',
                             CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                            WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.name);
            END LOOP;
            FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> '%1$s' LOOP
              EXECUTE format('ALTER SEQUENCE %%s OWNER TO %1$s', r.name);
            END LOOP;
            FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '%1$s' LOOP
              EXECUTE format('ALTER FUNCTION %%s OWNER TO %1$s', r.f);
            END LOOP;
          END $$""".formatted(ROLE));
    }
  }

  /** Whether the superuser's {@code postgres} database holds licensor's tables (an earlier licensor's data directory). */
  private static boolean earlierTablesIn(int port, String superuserPassword) throws SQLException {
    try (Connection c = DriverManager.getConnection(url(port, "postgres"), SUPERUSER, superuserPassword);
         Statement s = c.createStatement()) {
      // the migration history of licensor's earlier runner, or of Flyway
      return exists(s, "SELECT 1 FROM pg_tables WHERE schemaname = 'public'"
          + " AND tablename IN ('schema_migrations', 'flyway_schema_history')");
    }
  }

  private static boolean exists(Statement s, String query) throws SQLException {
    try (var rs = s.executeQuery(query)) {
      return rs.next();
    }
  }

  private static String url(int port, String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** A password as a SQL literal; the generated passwords are base64url, so no quote can appear. */
  private static String literal(String password) {
    if (!password.matches("[A-Za-z0-9_-]+")) {
      throw new IllegalStateException("unexpected characters in a generated password");
    }
    return "'" + password + "'";
  }

  PgConnectOptions connectOptions() {
    return new PgConnectOptions()
        .setHost("127.0.0.1")
        .setPort(postgres.getPort())
        .setDatabase(DATABASE)
        .setUser(ROLE)
        .setPassword(credentials.password());
  }

  void stop() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
