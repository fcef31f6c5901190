package io.licensor.db;

import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The schema is migrated by Flyway: a new database gets every migration, checksummed; a database
 * migrated by licensor's runner before Flyway keeps its data and gets only the migrations after
 * the version it reached; an applied migration changed since (its checksum differs) stops the
 * node before it serves anything.
 */
@DisplayName("Schema migrations are versioned, checksummed and validated")
class MigrationsTest {

  /** The migrations this build ships. */
  /** The newest migration shipped: the count of db/migration/V*.sql (each adds one; none is ever removed). */
  private static final int LATEST = latest();

  private static int latest() {
    try (var files = java.nio.file.Files.list(java.nio.file.Path.of(
        MigrationsTest.class.getClassLoader().getResource("db/migration").toURI()))) {
      return (int) files.filter(f -> f.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
    } catch (IOException | java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static PgConnectOptions options(String url) {
    return PgConnectOptions.fromUri(url);
  }

  private static String migration(String name) throws IOException {
    try (InputStream in = MigrationsTest.class.getClassLoader().getResourceAsStream("db/migration/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  @DisplayName("a new database gets every migration, each with its checksum")
  void freshDatabase() {
    String url = TestDatabase.freshDatabaseUrl();
    assertThat(Migrations.apply(options(url))).isEqualTo(LATEST);
    assertThat(TestDatabase.count(url, "SELECT count(*) FROM flyway_schema_history WHERE success AND checksum IS NOT NULL"
        + " AND version IS NOT NULL")).isEqualTo(LATEST);
    // a second start changes nothing
    assertThat(Migrations.apply(options(url))).isEqualTo(LATEST);
    assertThat(TestDatabase.count(url, "SELECT count(*) FROM flyway_schema_history")).isEqualTo(LATEST);
  }

  @Test
  @DisplayName("a database the earlier runner migrated to version 5 keeps its rows and gets 6 to the latest")
  void legacyDatabaseIsBaselined() throws IOException {
    String url = TestDatabase.freshDatabaseUrl();
    String[] first = {"V1__licensing_core.sql", "V2__lifecycle_and_audit.sql", "V3__byok.sql", "V4__tenant_revision.sql",
        "V5__breach_response.sql"};
    for (String m : first) {
      TestDatabase.execute(url, migration(m));
    }
    TestDatabase.execute(url, "CREATE TABLE schema_migrations (version integer PRIMARY KEY, description text NOT NULL,"
        + " applied_at timestamptz NOT NULL DEFAULT now());"
        + " INSERT INTO schema_migrations (version, description) SELECT v, 'm' || v FROM generate_series(1, 5) v");
    TestDatabase.execute(url, "INSERT INTO crypto_policy (id, allowed_algorithms, min_rsa_bits) VALUES (1, ARRAY['EC-P256'], 3072)"
        + " ON CONFLICT (id) DO UPDATE SET min_rsa_bits = 3072");
    assertThat(Migrations.apply(options(url))).isEqualTo(LATEST);
    assertThat(TestDatabase.text(url, "SELECT string_agg(version, ',' ORDER BY installed_rank) FROM flyway_schema_history"))
        .isEqualTo(String.join(",", java.util.stream.IntStream.rangeClosed(5, LATEST).mapToObj(Integer::toString).toList()));
    assertThat(TestDatabase.count(url, "SELECT min_rsa_bits FROM crypto_policy WHERE id = 1")).isEqualTo(3072);
    assertThat(TestDatabase.count(url, "SELECT count(*) FROM node_leases")).isZero(); // V8's table is there
    assertThat(TestDatabase.count(url, "SELECT count(*) FROM signing_keys")).isZero(); // and V9's
  }

  @Test
  @DisplayName("a migration changed after it was applied stops the node at start, saying which")
  void changedMigrationStopsTheNode() throws Exception {
    String url = TestDatabase.freshDatabaseUrl();
    Migrations.apply(options(url));
    // the history says V3 had other contents than the file this build carries
    TestDatabase.execute(url, "UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '3'");
    assertThatThrownBy(() -> Migrations.apply(options(url))).hasMessageContaining("3").hasMessageContaining("checksum");
    Path dataDir = Files.createTempDirectory("licensor-migration-");
    JsonObject settings = new JsonObject().put("dataDir", dataDir.toString())
        .put("http", new JsonObject().put("port", 0)).put("database", new JsonObject().put("url", url));
    assertThatThrownBy(() -> TestNode.start(settings, dataDir, url, io.licensor.support.Issuer.rsa("https://operators.test")))
        .hasStackTraceContaining("checksum");
  }
}
