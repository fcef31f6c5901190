package io.licensor.support;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real syslog collector for tests: Debian's rsyslogd, in the foreground, taking RFC 5424 over TCP
 * on a loopback port (imtcp, octet-counted framing) and writing each message it parsed as one JSON
 * line of its own fields (facility, severity, hostname, app, procid, msgid, structured data,
 * timestamp, msg): what a SIEM's collector would make of licensor's audit stream.
 */
public final class Rsyslog implements AutoCloseable {

  private final Path dir;
  private final int port;
  private final Path out;
  private Process process;

  private Rsyslog(Path dir, int port) {
    this.dir = dir;
    this.port = port;
    this.out = dir.resolve("received.jsonl");
  }

  /** rsyslogd is on this machine; else the test is skipped (or fails where LICENSOR_REQUIRE_RSYSLOG=true, as in CI). */
  public static String require() {
    for (String p : List.of("/usr/sbin/rsyslogd", "/sbin/rsyslogd")) {
      if (Files.isExecutable(Path.of(p))) {
        return p;
      }
    }
    String found = NodeJs.which("rsyslogd");
    if (found != null) {
      return found;
    }
    if ("true".equals(System.getenv("LICENSOR_REQUIRE_RSYSLOG"))) {
      throw new IllegalStateException("LICENSOR_REQUIRE_RSYSLOG=true, but there is no rsyslogd (Debian's rsyslog package)");
    }
    Assumptions.abort("no rsyslogd (Debian's rsyslog package)");
    return null;
  }

  public static Rsyslog start() throws IOException {
    Path dir = Files.createTempDirectory("licensor-rsyslog-");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Rsyslog r = new Rsyslog(dir, port);
    r.begin();
    return r;
  }

  public int port() {
    return port;
  }

  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Starts (again) on the same port; waits until it takes connections. */
  public synchronized void begin() throws IOException {
    String conf = """
        global(workDirectory="%1$s")
        module(load="imtcp")
        template(name="fields" type="list" option.jsonf="on") {
          property(outname="facility" name="syslogfacility-text" format="jsonf")
          property(outname="severity" name="syslogseverity-text" format="jsonf")
          property(outname="hostname" name="hostname" format="jsonf")
          property(outname="app" name="app-name" format="jsonf")
          property(outname="procid" name="procid" format="jsonf")
          property(outname="msgid" name="msgid" format="jsonf")
          property(outname="sd" name="structured-data" format="jsonf")
          property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
          property(outname="msg" name="msg" format="jsonf")
        }
        ruleset(name="licensor") { action(type="omfile" file="%2$s" template="fields") }
        input(type="imtcp" address="127.0.0.1" port="%3$d" ruleset="licensor")
        """.formatted(dir, out, port);
    Path confFile = dir.resolve("rsyslog.conf");
    Files.writeString(confFile, conf);
    process = new ProcessBuilder(require(), "-n", "-f", confFile.toString(), "-i", dir.resolve("rsyslogd.pid").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("rsyslogd.log").toFile()).start();
    long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("rsyslogd exited: " + Files.readString(dir.resolve("rsyslogd.log")));
      }
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    throw new IllegalStateException("rsyslogd does not listen on " + port);
  }

  /** Stops the collector (SIGTERM; rsyslogd writes what it has, then exits). */
  public synchronized void halt() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Every message received so far, as rsyslog parsed it. */
  public List<JsonObject> received() throws IOException {
    List<JsonObject> all = new ArrayList<>();
    if (!Files.exists(out)) {
      return all;
    }
    String text = Files.readString(out, StandardCharsets.UTF_8);
    // a line being written has no newline yet: only whole lines count
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) {
      if (!lines[i].isBlank()) {
        all.add(new JsonObject(lines[i]));
      }
    }
    return all;
  }

  @Override
  public void close() {
    halt();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
