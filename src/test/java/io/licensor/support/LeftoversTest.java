package io.licensor.support;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * A failed test leaves nothing running: test classes of its own (below, run through the JUnit
 * launcher as surefire runs any class) start a node and fail before they could stop it, and the test
 * JVM ending (as Maven ends it, or SIGTERM) ends the processes it started.
 */
@DisplayName("What tests start is stopped, whatever happened")
class LeftoversTest {

  /** The classes below run only when this test runs them, never on their own. */
  static volatile boolean armed;
  static volatile NodeProcess started;
  static volatile TestNode startedInProcess;

  @Test
  @DisplayName("a node process whose class's @BeforeAll failed (not ready in time) is stopped when the class ends")
  void failedBeforeAll() {
    TestExecutionSummary summary = run(StartsThenFailsToBecomeReady.class);
    assertThat(started).as("the class started its node").isNotNull();
    long pid = started.pid();
    assertThat(summary.getFailures()).hasSize(1);
    assertThat(summary.getFailures().get(0).getException()).hasMessageContaining("not ready within");
    assertThat(started.alive()).as("node process " + pid + " left running").isFalse();
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isIn(Optional.empty(), Optional.of(false));
  }

  @Test
  @DisplayName("a class that set up cleanly but left a node running fails, naming it, and the node is stopped")
  void forgottenNode() {
    TestExecutionSummary summary = run(ForgetsItsNode.class);
    assertThat(summary.getTestsSucceededCount()).isEqualTo(1);
    assertThat(summary.getFailures()).hasSize(1);
    assertThat(summary.getFailures().get(0).getException())
        .hasMessageContaining("left running").hasMessageContaining(startedInProcess.http.base());
    assertThat(startedInProcess.running()).isFalse();
    assertThatThrownBy(() -> startedInProcess.http.get("/health/live", null)).as("the node no longer answers")
        .hasCauseInstanceOf(ConnectException.class);
  }

  @Test
  @DisplayName("a test JVM stopped by SIGTERM ends the processes it started")
  void jvmEndsItsChildren() throws Exception {
    Process jvm = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), Orphaner.class.getName()).redirectErrorStream(true).start();
    long childPid;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
      childPid = Long.parseLong(out.readLine().strip());
      ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
      assertThat(child.isAlive()).isTrue();
      jvm.destroy(); // SIGTERM, as Maven's or CI's end sends it
      assertThat(jvm.waitFor(30, TimeUnit.SECONDS)).isTrue();
      child.onExit().get(15, TimeUnit.SECONDS);
      assertThat(child.isAlive()).as("the test JVM's child " + childPid + " outlived it").isFalse();
    } finally {
      jvm.destroyForcibly();
    }
  }

  private static TestExecutionSummary run(Class<?> testClass) {
    armed = true;
    try {
      LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build();
      Launcher launcher = LauncherFactory.create();
      SummaryGeneratingListener listener = new SummaryGeneratingListener();
      launcher.execute(request, listener);
      return listener.getSummary();
    } finally {
      armed = false;
    }
  }

  /** Starts a node process, then fails as a slow start-up does ({@code awaitReady} times out). */
  static class StartsThenFailsToBecomeReady {
    @BeforeAll
    static void start() {
      Assumptions.assumeTrue(armed, "run by LeftoversTest only");
      ClusterFixture cluster = new ClusterFixture();
      int[] ports = ClusterFixture.freePorts(2);
      started = new NodeProcess("leftover", cluster.settings("leftover", cluster.dataDir("leftover"), ports[0],
          cluster.clusterName, ports[1], ClusterFixture.members(ports[1]), 5), cluster.operators).start();
      started.awaitReady(Duration.ofMillis(1));
    }

    @Test
    void never() {
    }
  }

  /** Starts a node in a test and never closes it. */
  static class ForgetsItsNode {
    @Test
    void startsANode() {
      Assumptions.assumeTrue(armed, "run by LeftoversTest only");
      startedInProcess = TestNode.start();
      assertThat(startedInProcess.http.get("/health/live", null).status()).isEqualTo(200);
    }
  }

  /** A test JVM: starts a child process, prints its pid, and waits to be stopped. */
  public static final class Orphaner {
    public static void main(String[] args) throws Exception {
      Class.forName(Leftovers.class.getName()); // what the test engine loads in every test JVM
      Process child = new ProcessBuilder("sleep", "300").start();
      System.out.println(child.pid());
      System.out.flush();
      Thread.sleep(TimeUnit.MINUTES.toMillis(5));
      List.of(child).forEach(Process::destroyForcibly);
    }
  }
}
