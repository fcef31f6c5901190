package io.licensor.support;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Node.js for the JavaScript client's tests (sdk/js): found on the PATH, its packages installed once
 * from package-lock.json ({@code npm ci}, from the npm registry), the TypeScript built. Where there is
 * no Node the tests are reported skipped with the reason, unless LICENSOR_REQUIRE_NODE=true (CI).
 */
public final class NodeJs {

  public static final Path PACKAGE = Path.of("sdk", "js").toAbsolutePath();
  private static boolean ready;

  private NodeJs() {
  }

  /** The result of a command: exit code and its output (stdout and stderr together). */
  public record Run(int exitCode, String output) {
  }

  /** Node and npm are here and the package is installed and built; else the test is skipped (or fails in CI). */
  public static synchronized void require() {
    requireNode();
    if (ready) {
      return;
    }
    if (!Files.isDirectory(PACKAGE.resolve("node_modules").resolve("jose"))) {
      check(run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 600), "npm ci");
    }
    check(run(List.of("npm", "run", "build"), Map.of(), 300), "npm run build");
    ready = true;
  }

  /** Node 20 or newer and npm are on the PATH; else the test is skipped (or fails in CI). */
  public static synchronized void requireNode() {
    String node = which("node");
    String npm = which("npm");
    if (node == null || npm == null) {
      if ("true".equals(System.getenv("LICENSOR_REQUIRE_NODE"))) {
        throw new IllegalStateException("LICENSOR_REQUIRE_NODE=true, but there is no node/npm on the PATH");
      }
      Assumptions.abort("no Node.js (node and npm) on the PATH: the JavaScript client's tests need it");
    }
    Run version = run(List.of("node", "--version"), Map.of(), 30);
    int major = version.exitCode() == 0 ? Integer.parseInt(version.output().trim().replaceFirst("^v(\\d+).*", "$1")) : 0;
    if (major < 20) {
      String why = "the JavaScript tools need Node.js 20 or newer (WebCrypto and fetch as globals); this is " + version.output().trim();
      if ("true".equals(System.getenv("LICENSOR_REQUIRE_NODE"))) {
        throw new IllegalStateException(why);
      }
      Assumptions.abort(why);
    }
  }

  private static void check(Run r, String what) {
    if (r.exitCode() != 0) {
      throw new IllegalStateException(what + " in sdk/js failed (" + r.exitCode() + "):\n" + r.output());
    }
  }

  /** Runs a command in sdk/js with these extra environment variables. */
  public static Run run(List<String> command, Map<String, String> env, long timeoutSeconds) {
    return run(PACKAGE, command, env, timeoutSeconds);
  }

  /** Runs a command in this directory with these extra environment variables. */
  public static Run run(Path directory, List<String> command, Map<String, String> env, long timeoutSeconds) {
    try {
      Path log = Files.createTempFile("licensor-node-", ".log");
      ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(directory.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        return new Run(-1, "timed out after " + timeoutSeconds + " s\n" + Files.readString(log, StandardCharsets.UTF_8));
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      Files.deleteIfExists(log);
      return new Run(p.exitValue(), out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  public static String which(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, program);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }
}
