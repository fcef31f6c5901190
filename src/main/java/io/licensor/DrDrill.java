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
import java.util.concurrent.Callable;
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
final class DrDrill implements Callable<Integer> {

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

  @Override
  public Integer call() throws Exception {
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
      System.out.println("dr-drill: world " + key.worldId() + " rebuilt from " + cards.size()
          + " cards; scratch instance in " + scratch);
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
          System.out.println("FAIL " + b + ": restore refused: " + e.getCause().getMessage());
          failures++;
          continue;
        }
        TenantKeys t = node.directory().require(tenant).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (t.tenant().state() == TenantState.CANCELLED) {
          System.out.println("ok   " + tenant + ": restored (" + t.versions().size()
              + " versions); subscription cancelled, so no licensing test");
          continue;
        }
        for (KeyVersion v : t.versions()) {
          if (v.state() == KeyVersionState.DESTROYED) {
            continue;
          }
          try {
            node.licensing().selfTest(tenant, v).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            System.out.println("ok   " + v.kid() + " (" + v.state().wireName() + ", " + v.algorithm().wireName()
                + "): publishing license sealed, use license issued and verified");
          } catch (ExecutionException e) {
            System.out.println("FAIL " + v.kid() + ": " + e.getCause().getMessage());
            failures++;
          }
        }
      }
      System.out.println(failures == 0 ? "dr-drill: PASSED" : "dr-drill: FAILED (" + failures + ")");
      return failures == 0 ? 0 : 1;
    } catch (ExecutionException e) {
      System.out.println("dr-drill: FAILED: the scratch instance did not start: " + e.getCause().getMessage());
      return 1;
    } catch (WorldException e) {
      System.err.println("licensor: " + e.getMessage());
      return 2;
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
        System.out.println("dr-drill: the scratch instance's log is in " + log.file());
      }
    }
  }
}
