package io.licensor;

import io.licensor.config.ConfigLoader;
import io.licensor.config.LicensorConfig;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.node.Licensor;
import io.licensor.tenants.TenantKeys;
import io.licensor.tenants.TenantState;
import io.licensor.world.ModuleKeyFile;
import io.licensor.world.WorldException;
import io.licensor.world.WorldKey;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code licensor dr-drill}: proves that backup packages restore and license, in a scratch
 * instance (its own temporary data directory, embedded PostgreSQL, loopback port), without
 * touching the running service. Rebuilds the world from admin cards, restores every package,
 * then licenses content under every restored key version and verifies each use license.
 */
@Command(name = "dr-drill", mixinStandardHelpOptions = true, description = "Disaster-recovery drill: restore backup packages into a scratch instance and "
    + "license under every key version.")
final class DrDrill extends io.licensor.cli.CliCommand {

  /** With --output json: what the drill found, printed as one object at its end. */
  private final JsonObject report = new JsonObject().put("results", new io.vertx.core.json.JsonArray());

  @Option(names = "--world", required = true, description = "the world file")
  Path worldFile;

  @Option(names = "--card", required = true, description = "an admin card file (repeat, K times)")
  List<Path> cards;

  @Option(names = "--passphrase-file", description = "n=PATH: card n's passphrase from a file")
  Map<Integer, Path> passphraseFiles = Map.of();

  @Option(names = "--backup", required = true, description = "a backup package (repeat)")
  List<Path> backups;

  /**
   * The scratch node's own log goes to a file of its own while the drill runs, so the drill prints
   * its results and not a node's start and stop (the file is named at the end; logs hold no secrets).
   */
  private static final class ScratchLog implements AutoCloseable {
    private final Path file;
    private final ch.qos.logback.classic.Logger root;
    private final ch.qos.logback.core.Appender<ch.qos.logback.classic.spi.ILoggingEvent> console;
    private final ch.qos.logback.core.FileAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender;

    ScratchLog(Path file) {
      this.file = file;
      if (!(org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)) {
        root = null;
        console = null;
        appender = null;
        return;
      }
      root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      console = root.getAppender("STDOUT");
      ch.qos.logback.classic.encoder.PatternLayoutEncoder encoder = new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
      encoder.setContext(context);
      encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n");
      encoder.start();
      appender = new ch.qos.logback.core.FileAppender<>();
      appender.setContext(context);
      appender.setFile(file.toString());
      appender.setEncoder(encoder);
      appender.start();
      root.addAppender(appender);
      if (console != null) {
        root.detachAppender(console);
      }
    }

    Path file() {
      return file;
    }

    @Override
    public void close() {
      if (root == null) {
        return;
      }
      if (console != null) {
        root.addAppender(console);
      }
      root.detachAppender(appender);
      appender.stop();
    }
  }

  /** A finding: a line as it happens, or an entry of the JSON report. */
  private void found(boolean ok, String subject, String detail) {
    found(ok, subject, detail, (ok ? "ok   " : "FAIL ") + subject + ": " + detail);
  }

  private void found(boolean ok, String subject, String detail, String line) {
    if (json()) {
      report.getJsonArray("results").add(new JsonObject().put("subject", subject).put("ok", ok).put("detail", detail));
    } else {
      out().println(line);
      out().flush();
    }
  }

  private void say(String line) {
    if (!json()) {
      out().println(line);
      out().flush();
    }
  }

  @Override
  protected int execute() throws Exception {
    Path scratch = Files.createTempDirectory("licensor-dr-drill-");
    Path logFile = Files.createTempFile("licensor-dr-drill-", ".log",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Licensor node = null;
    int failures = 0;
    ScratchLog log = new ScratchLog(logFile);
    try {
      WorldKey key = WorldCommands.rebuild(worldFile, cards, passphraseFiles);
      ModuleKeyFile.write(scratch, key);
      key.destroy();
      report.put("worldId", key.worldId()).put("cards", cards.size());
      say("dr-drill: world " + key.worldId() + " rebuilt from " + cards.size() + " cards; scratch instance in " + scratch);
      LicensorConfig config = ConfigLoader.load(new JsonObject()
          .put("dataDir", scratch.toString())
          .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("instances", 1)), Map.of());
      node = Licensor.start(config).toCompletionStage().toCompletableFuture().get(180, TimeUnit.SECONDS);
      for (Path b : backups) {
        JsonObject pkg = new JsonObject(Files.readString(b));
        String tenant;
        try {
          tenant = node.backup().restore(pkg, false, false, "dr-drill", "dr-drill")
              .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS).tenantId();
        } catch (ExecutionException e) {
          found(false, b.toString(), "restore refused: " + e.getCause().getMessage());
          failures++;
          continue;
        }
        TenantKeys t = node.directory().require(tenant).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (t.tenant().state() == TenantState.CANCELLED) {
          found(true, tenant, "restored (" + t.versions().size() + " versions); subscription cancelled, so no licensing test");
          continue;
        }
        for (KeyVersion v : t.versions()) {
          if (v.state() == KeyVersionState.DESTROYED) {
            continue;
          }
          try {
            node.licensing().selfTest(tenant, v).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            String detail = v.state().wireName() + ", " + v.algorithm().wireName()
                + ": publishing license sealed, use license issued and verified";
            found(true, v.kid(), detail, "ok   " + v.kid() + " (" + v.state().wireName() + ", " + v.algorithm().wireName()
                + "): publishing license sealed, use license issued and verified");
          } catch (ExecutionException e) {
            found(false, v.kid(), e.getCause().getMessage());
            failures++;
          }
        }
      }
      report.put("passed", failures == 0).put("failures", failures);
      say(failures == 0 ? "dr-drill: PASSED" : "dr-drill: FAILED (" + failures + ")");
      return failures == 0 ? 0 : 1;
    } catch (ExecutionException e) {
      report.put("passed", false).put("failures", failures + 1)
          .put("error", "the scratch instance did not start: " + e.getCause().getMessage());
      say("dr-drill: FAILED: the scratch instance did not start: " + e.getCause().getMessage());
      return 1;
    } catch (WorldException e) {
      throw new io.licensor.cli.CliException(io.licensor.cli.CliException.USAGE, e.getMessage());
    } finally {
      try {
        if (node != null) {
          node.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        try (var files = Files.walk(scratch)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      } finally {
        log.close();
        say("dr-drill: the scratch instance's log is in " + log.file());
        if (json() && report.containsKey("passed")) {
          printJson(report.put("log", log.file().toString()));
        }
      }
    }
  }
}
