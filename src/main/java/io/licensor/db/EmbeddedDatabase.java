package io.licensor.db;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The embedded default: a real PostgreSQL (zonky's packaged binaries) whose data lives in
 * {@code <dataDir>/postgres}, kept across restarts. Started and stopped off the event loop.
 */
final class EmbeddedDatabase {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
    Path pgData = dataDir.resolve("postgres");
    Files.createDirectories(dataDir);
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(pgData)
        .setCleanDataDirectory(false)
        .setPGStartupWait(Duration.ofSeconds(60))
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("max_connections", "100");
    if (port > 0) {
      builder.setPort(port);
    }
    EmbeddedPostgres pg = builder.start();
    LOG.info("embedded PostgreSQL started on 127.0.0.1:{} with data in {}", pg.getPort(), pgData);
    return new EmbeddedDatabase(pg);
  }

  PgConnectOptions connectOptions() {
    return new PgConnectOptions()
        .setHost("127.0.0.1")
        .setPort(postgres.getPort())
        .setDatabase("postgres")
        .setUser("postgres")
        .setPassword("");
  }

  void stop() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
