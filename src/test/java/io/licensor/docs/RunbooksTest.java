package io.licensor.docs;

import io.licensor.support.ClusterFixture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the runbooks of docs/operations.md as written: every {@code sh runbook} block, in order,
 * with bash and the bin/licensor launcher (on the classes under test), against a real node in dev
 * mode. {@code sh runbook before-start} blocks run before the node starts (the security world is
 * made then). A line ending in {@code # refused: SLUG} must exit 1 naming that problem.
 */
@DisplayName("The operations guide's runbooks")
class RunbooksTest {

  static final Path GUIDE = Path.of("docs", "operations.md");
  private static final Pattern BLOCK = Pattern.compile("```sh runbook( before-start)?\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern REFUSED = Pattern.compile("^(\\S.*?)\\s+# refused: ([a-z-]+)\\s*$");

  static final String PRELUDE = """
      set -euo pipefail
      trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT
      refused() {
        local slug=$1 code; shift
        set +e; "$@" >/dev/null 2>.refused.err; code=$?; set -e
        cat .refused.err >&2
        # 1: refused by the server; 2: input the server refused as bad (400)
        if { [ "$code" -ne 1 ] && [ "$code" -ne 2 ]; } || ! grep -q -- "$slug" .refused.err; then
          echo "RUNBOOK: expected '$1 $2 $3 ...' to be refused with $slug; it exited $code" >&2
          return 1
        fi
      }
      """;

  @TempDir
  Path work;

  record Runbooks(String beforeStart, String afterStart, int blocks) {
  }

  static Runbooks parse(String markdown) {
    StringBuilder before = new StringBuilder();
    StringBuilder after = new StringBuilder();
    Matcher m = BLOCK.matcher(markdown);
    int blocks = 0;
    while (m.find()) {
      blocks++;
      StringBuilder target = m.group(1) != null ? before : after;
      for (String line : m.group(2).split("\n", -1)) {
        Matcher refused = REFUSED.matcher(line);
        target.append(refused.matches() ? "refused " + refused.group(2) + " " + refused.group(1) : line).append('\n');
      }
      target.append("echo \"RUNBOOK: block ").append(blocks).append(" done\" >&2\n");
    }
    return new Runbooks(before.toString(), after.toString(), blocks);
  }

  @Test
  @DisplayName("the refusal marker turns a line into a checked refusal, and every block is found")
  void parsesTheGuide() throws IOException {
    Runbooks r = parse(Files.readString(GUIDE));
    assertThat(r.blocks()).isGreaterThanOrEqualTo(10);
    assertThat(r.beforeStart()).contains("licensor world init");
    assertThat(r.afterStart()).contains("refused subscription-cancelled licensor open plan.txt.lprot --token \"$BOB\"")
        .contains("refused key-not-exportable licensor tenant export fabrikam");
    for (String section : List.of("## Revoke", "## Re-key", "## Backup and recovery", "## Export", "## Breach response")) {
      assertThat(Files.readString(GUIDE)).contains(section);
    }
  }

  @Test
  @DisplayName("every runbook runs as written, in an empty directory, with only the environment the guide names")
  void runbooksRun() throws Exception {
    Runbooks runbooks = parse(Files.readString(GUIDE));
    int[] ports = ClusterFixture.freePorts(2);
    // the guide's environment: PATH with bin/, the ports (so as to run beside a node on 8443), and
    // bin/licensor told to run the compiled classes (the jar is not built in the test phase)
    Map<String, String> env = new HashMap<>(Map.of(
        "PATH", Path.of("bin").toAbsolutePath() + ":" + System.getenv("PATH"),
        "LICENSOR_HTTP_PORT", Integer.toString(ports[0]),
        "LICENSOR_URL", "https://127.0.0.1:" + ports[0],
        "RECOVERY_PORT", Integer.toString(ports[1]),
        "LICENSOR_CLASSPATH", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        "LICENSOR_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto"));
    run("runbooks", runbooks.beforeStart() + runbooks.afterStart(), env);
  }

  private void run(String name, String script, Map<String, String> env) throws Exception {
    Path file = work.resolve(name + ".sh");
    Files.writeString(file, PRELUDE + script, StandardCharsets.UTF_8);
    ProcessBuilder pb = new ProcessBuilder("bash", file.toString()).directory(work.toFile()).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("LICENSOR_") || k.startsWith("RECOVERY_") || k.equals("SOFTHSM2_CONF"));
    pb.environment().putAll(env);
    Path log = work.resolve(name + ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    boolean finished = p.waitFor(8, TimeUnit.MINUTES);
    if (!finished) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    String output = Files.readString(log);
    StringBuilder logs = new StringBuilder();
    for (String node : List.of("node.log", "recovered.log")) {
      Path log2 = work.resolve(node);
      if (Files.exists(log2)) {
        logs.append("\n--- ").append(node).append("\n").append(Files.readString(log2));
      }
    }
    assertThat(finished && p.exitValue() == 0).as("%s:\n%s%s", name, output, logs).isTrue();
    List<String> done = new ArrayList<>(output.lines().filter(l -> l.startsWith("RUNBOOK: block")).toList());
    assertThat(done).as(output).isNotEmpty();
  }
}
