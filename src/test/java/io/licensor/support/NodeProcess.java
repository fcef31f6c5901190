package io.licensor.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A licensor node in its own JVM process, started the way an operator starts one
 * ({@code licensor serve --config FILE}) from the test class path, with its output in
 * {@code target/cluster-logs/<name>.log}. It can be stopped with SIGTERM, killed with SIGKILL,
 * and frozen and thawed with SIGSTOP/SIGCONT.
 */
public final class NodeProcess implements Leftovers.Running {

  public final String name;
  public final int httpPort;
  public final Http http;
  private final Path configFile;
  private final Path log;
  private final List<String> prefix;
  private final String base;
  private Process process;

  public NodeProcess(String name, JsonObject settings, Issuer operators) {
    this(name, settings, operators, List.of(), null);
  }

  /**
   * A node started under {@code prefix} (e.g. {@code ip netns exec NS}: in a network namespace)
   * and reached at {@code base} (null: its port on loopback).
   */
  public NodeProcess(String name, JsonObject settings, Issuer operators, List<String> prefix, String base) {
    this.name = name;
    this.httpPort = settings.getJsonObject("http").getInteger("port");
    this.prefix = List.copyOf(prefix);
    this.base = base != null ? base : "http://127.0.0.1:" + httpPort;
    this.http = new Http(this.base);
    JsonObject full = settings.copy();
    full.getJsonObject("http").put("plaintext", true);
    // test worlds are made without a passphrase (see TestNode)
    JsonObject world = full.getJsonObject("world", new JsonObject());
    if (!world.containsKey("allowUnsealed")) {
      full.put("world", world.put("allowUnsealed", true));
    }
    full.put("identity", new JsonObject().put("operatorIssuers", new JsonArray()
        .add(new JsonObject().put("issuer", operators.issuer()).put("jwks", operators.jwks()))));
    try {
      Path logs = Path.of("target", "cluster-logs");
      Files.createDirectories(logs);
      this.log = logs.resolve(name + ".log");
      this.configFile = Files.createTempFile("licensor-" + name + "-", ".json");
      Files.writeString(configFile, full.encodePrettily());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the process (output appended to its log); {@link #awaitReady} waits for it to serve. */
  public NodeProcess start() {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of(javaBin, "-Xmx256m", "-XX:+UseSerialGC",
        "--add-modules=jdk.crypto.cryptoki", "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), "io.licensor.Main", "serve", "--config", configFile.toString()));
    try {
      Files.writeString(log, "=== start " + Instant.now() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      Leftovers.started(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Waits until /health/ready answers 200, or fails naming the log. */
  public NodeProcess awaitReady(Duration timeout) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + TestTime.scaled(timeout).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("node " + name + " exited with " + process.exitValue() + "; see " + log.toAbsolutePath());
      }
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/health/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return this;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      sleep(200);
    }
    throw new IllegalStateException("node " + name + " not ready within " + timeout + "; see " + log.toAbsolutePath());
  }

  /** SIGKILL, as {@code kill -9}: no shutdown hook runs. */
  public void kill9() {
    process.destroyForcibly();
    waitFor();
  }

  /** SIGTERM, then SIGKILL if it has not stopped within 30 s. */
  @Override
  public void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM, without waiting. */
  public void terminate() {
    process.destroy();
  }

  /** Waits for the process to end by itself; its exit code, or -1 if it is still running after {@code timeout}. */
  public int awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** SIGSTOP: the process stops answering anything, as in a long pause, without leaving the cluster at once. */
  public void freeze() {
    signal("STOP");
  }

  /** SIGCONT. */
  public void thaw() {
    signal("CONT");
  }

  public long pid() {
    return process.pid();
  }

  /**
   * The local ports of the process's TCP connections to {@code remotePort} on loopback (its
   * database sessions, say, as PostgreSQL's pg_stat_activity.client_port names them): the socket
   * inodes among its open files, looked up in /proc/net/tcp and tcp6.
   */
  public List<Integer> connectionPortsTo(int remotePort) {
    Set<String> inodes = new HashSet<>();
    try (var fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
      List<Integer> ports = new ArrayList<>();
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && inodes.contains(f[9]) && f[2].endsWith(":" + String.format("%04X", remotePort))) {
            ports.add(Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16));
          }
        }
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  @Override
  public boolean running() {
    return alive();
  }

  @Override
  public String describe() {
    return "node process " + name + (process == null ? "" : " (pid " + process.pid() + ", log " + log.toAbsolutePath() + ")");
  }

  public Path log() {
    return log;
  }

  private void signal(String signal) {
    try {
      int code = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start().waitFor();
      if (code != 0) {
        throw new IllegalStateException("kill -" + signal + " failed: " + code);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void waitFor() {
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
