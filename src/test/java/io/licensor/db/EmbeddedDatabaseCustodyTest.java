package io.licensor.db;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.SecretLedger;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The security review's first finding, as its probes ran it: with the README's embedded defaults, a
 * local user (the OS user {@code nobody}, or anyone without the password) connects to the embedded
 * PostgreSQL and, as its superuser, reads every key token and the world key file. Now every
 * connection needs a password, and licensor's own role cannot reach files or programs through SQL.
 */
@DisplayName("The embedded PostgreSQL lets no local user in, and licensor's role cannot reach the world key through SQL")
class EmbeddedDatabaseCustodyTest {

  @TempDir
  static Path dataDir;
  static int port;
  static TestNode node;

  @BeforeAll
  static void start() {
    port = ClusterFixture.freePorts(1)[0];
    node = TestNode.start(embedded(dataDir, port), dataDir, null, Issuer.rsa("https://operators.test"));
    node.createTenant("contoso", "EC-P256");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static JsonObject embedded(Path dir, int pgPort) {
    return new JsonObject().put("dataDir", dir.toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 1))
        .put("database", new JsonObject().put("embeddedPort", pgPort));
  }

  static JsonObject credentials(Path dir) throws Exception {
    JsonObject json = new JsonObject(Files.readString(dir.resolve("postgres.credentials")));
    SecretLedger.password(json.getString("superuserPassword"));
    SecretLedger.password(json.getString("password"));
    return json;
  }

  static Connection connect(int pgPort, String database, String user, String password) throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/" + database, user, password);
  }

  @Test
  @DisplayName("without the password the superuser and licensor's role are refused over TCP, and there is no Unix socket")
  void noPasswordNoEntry() {
    for (String user : List.of("postgres", "licensor")) {
      for (String password : List.of("", "postgres", "licensor")) {
        assertThatThrownBy(() -> connect(port, "postgres", user, password).close())
            .as("%s with password '%s'", user, password).isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isIn("28P01", "08004"));
      }
    }
    for (Path dir : List.of(Path.of("/tmp"), Path.of("/var/run/postgresql"), dataDir, dataDir.resolve("postgres"))) {
      assertThat(dir.resolve(".s.PGSQL." + port)).as("a Unix socket in " + dir).doesNotExist();
    }
  }

  @Test
  @DisplayName("the OS user nobody, with psql, gets no session (as the review's probe did: psql -h 127.0.0.1 -U postgres)")
  void anotherOsUserIsRefused() throws Exception {
    String psql = Files.exists(Path.of("/usr/bin/psql")) ? "/usr/bin/psql" : null;
    assertThat(psql).as("psql is installed (.ci/run installs PostgreSQL's client)").isNotNull();
    List<String> command = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      command.addAll(List.of("runuser", "-u", "nobody", "--"));
    }
    command.addAll(List.of(psql, "-w", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "-d", "postgres",
        "-c", "SELECT pg_read_file('" + dataDir.resolve("world/module.key") + "')"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("PGPASSWORD");
    pb.environment().put("PGPASSFILE", dataDir.resolve("no-such-pgpass").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isNotZero();
    assertThat(out).contains("password").doesNotContain("\"key\"");
  }

  @Test
  @DisplayName("licensor's role is no superuser: no file read or written, no program run, no role or untrusted extension made")
  void licensorsRoleCannotEscape() throws Exception {
    String password = credentials(dataDir).getString("password");
    Path moduleKey = dataDir.resolve("world/module.key").toAbsolutePath();
    Path pwned = dataDir.resolve("pwned").toAbsolutePath();
    try (Connection c = connect(port, "licensor", "licensor", password); Statement s = c.createStatement()) {
      try (var rs = s.executeQuery("SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
          + "FROM pg_roles WHERE rolname = current_user")) {
        assertThat(rs.next()).isTrue();
        for (int i = 1; i <= 5; i++) {
          assertThat(rs.getBoolean(i)).as("attribute " + i).isFalse();
        }
      }
      try (var rs = s.executeQuery("SELECT count(*) FROM key_versions")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).as("it owns licensor's own tables").isPositive();
      }
      for (String attack : List.of(
          "SELECT pg_read_file('" + moduleKey + "')",
          "SELECT pg_read_binary_file('" + moduleKey + "')",
          "SELECT lo_import('" + moduleKey + "')",
          "COPY (SELECT 1) TO PROGRAM 'touch " + pwned + "'",
          "COPY key_versions TO '" + pwned + "'",
          "CREATE TEMP TABLE f (line text); COPY f FROM '" + moduleKey + "'",
          "CREATE ROLE eve LOGIN SUPERUSER PASSWORD 'eve-password'",
          "ALTER ROLE licensor SUPERUSER",
          "CREATE EXTENSION file_fdw",
          "CREATE EXTENSION dblink",
          "CREATE EXTENSION adminpack")) {
        assertThatThrownBy(() -> s.execute(attack)).as(attack).isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).as(attack + ": " + e.getMessage()).isEqualTo("42501"));
      }
    }
    assertThat(pwned).doesNotExist();
    assertThatThrownBy(() -> connect(port, "postgres", "licensor", password).close())
        .as("licensor's role connects to its own database only").isInstanceOf(SQLException.class);
  }

  @Test
  @DisplayName("the passwords are kept 0600; a passwords file others may read stops the node at start, naming it")
  void passwordsFileIsOwnerOnly(@TempDir Path other) throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("postgres.credentials"))))
        .isEqualTo("rw-------");
    credentials(dataDir); // recorded: SecretScanTest looks for them in every log of the run

    int otherPort = ClusterFixture.freePorts(1)[0];
    TestNode.start(embedded(other, otherPort), other, null, Issuer.rsa("https://operators.test")).close();
    Files.setPosixFilePermissions(other.resolve("postgres.credentials"), PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> TestNode.start(embedded(other, otherPort), other, null, Issuer.rsa("https://operators.test")).close())
        .hasStackTraceContaining("postgres.credentials may be read by others");
  }

  @Test
  @DisplayName("on an external PostgreSQL, the minimal grants of docs/operations.md run a node, and that role reads no file")
  void externalDatabaseWithMinimalGrants(@TempDir Path dir) throws Exception {
    String admin = TestDatabase.freshDatabaseUrl();
    String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String role = "licensor_" + suffix;
    String password = "pw" + suffix + UUID.randomUUID().toString().replace("-", "");
    SecretLedger.password(password);
    // docs/operations.md, "The database", with this test's role and database names
    TestDatabase.execute(admin, "CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'"
        + " NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
    TestDatabase.execute(admin, "CREATE DATABASE " + role + " OWNER " + role);
    TestDatabase.execute(admin, "REVOKE CONNECT, TEMPORARY ON DATABASE " + role + " FROM PUBLIC");
    URI server = URI.create(admin);
    String url = "postgresql://" + role + ":" + password + "@" + server.getHost() + ":" + server.getPort() + "/" + role;
    JsonObject settings = embedded(dir, 0).put("database", new JsonObject().put("url", url));
    try (TestNode external = TestNode.start(settings, dir, url, Issuer.rsa("https://operators.test"))) {
      external.createTenant("northwind", "EC-P256");
      try (Connection c = connect(server.getPort(), role, role, password); Statement s = c.createStatement()) {
        assertThatThrownBy(() -> s.execute("SELECT pg_read_file('" + dir.resolve("world/module.key").toAbsolutePath() + "')"))
            .isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
      }
    }
  }

  @Test
  @DisplayName("a data directory from an earlier licensor (trust, tables in 'postgres') is locked down and keeps its tenants")
  void earlierDataDirectoryIsLockedDown(@TempDir Path old) throws Exception {
    int oldPort = ClusterFixture.freePorts(1)[0];
    Issuer operators = Issuer.rsa("https://operators.test");
    String pl;
    Issuer idp;
    byte[] contentKey = RmsClient.newContentKey();
    // as the earlier EmbeddedDatabase made it: initdb's trust lines, licensor connected as postgres to 'postgres'
    try (EmbeddedPostgres earlier = EmbeddedPostgres.builder().setDataDirectory(old.resolve("postgres"))
        .setCleanDataDirectory(false).setPort(oldPort).setServerConfig("listen_addresses", "127.0.0.1").start()) {
      String url = "postgresql://postgres@127.0.0.1:" + oldPort + "/postgres";
      JsonObject settings = embedded(old, 0).put("database", new JsonObject().put("url", url));
      try (TestNode before = TestNode.start(settings, old, url, operators)) {
        idp = before.createTenant("fabrikam", "RSA-2048");
        JsonObject policy = new JsonObject().put("grants", new JsonArray()
            .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));
        pl = RmsClient.publishOffline(before.http.get("/v1/tenants/fabrikam/keys/current",
            idp.token("alice@fabrikam.test", List.of())).json(), RmsClient.plPayload("old-doc", "alice@fabrikam.test", contentKey, policy));
      }
    }
    try (TestNode after = TestNode.start(embedded(old, oldPort), old, null, operators)) {
      Http.Response license = after.http.post("/v1/tenants/fabrikam/licenses", idp.token("bob@fabrikam.test", List.of()),
          new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))));
      assertThat(license.status()).as(license.toString()).isEqualTo(200);
      assertThatThrownBy(() -> connect(oldPort, "postgres", "postgres", "").close()).isInstanceOf(SQLException.class);
      try (Connection c = connect(oldPort, "licensor", "postgres", credentials(old).getString("superuserPassword"));
           Statement s = c.createStatement();
           var rs = s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'licensor'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).as("tables not owned by licensor's role").isZero();
      }
    }
  }
}
