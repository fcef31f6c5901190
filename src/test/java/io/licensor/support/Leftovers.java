package io.licensor.support;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What tests have started and not yet stopped: licensor nodes in this JVM ({@link TestNode}) and in
 * processes of their own ({@link NodeProcess}). Whatever a test class leaves running is stopped
 * after the class ends, however it ended — its {@code @BeforeAll} failed or was aborted (no PKCS#11
 * token), a test threw, or its {@code @AfterAll} forgot something — and if the class had otherwise
 * set up and torn down cleanly, the class fails, naming what it left. When this JVM exits (the test
 * run over, Maven interrupted, SIGTERM), every process it started that is still alive is ended.
 *
 * <p>Registered for every test class through {@code META-INF/services} (JUnit's extension
 * auto-detection, switched on in {@code junit-platform.properties}).
 */
public final class Leftovers implements AfterAllCallback {

  /** Something a test started: whether it still runs, how to stop it, and what to call it. */
  public interface Running {
    boolean running();

    void stop();

    String describe();
  }

  private static final Set<Running> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(Leftovers::endChildProcesses, "leftovers-reaper"));
  }

  /** Tracks {@code thing} until {@link #stopped} is called for it. */
  public static void started(Running thing) {
    RUNNING.add(thing);
  }

  public static void stopped(Running thing) {
    RUNNING.remove(thing);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<String> left = new ArrayList<>();
    for (Running thing : List.copyOf(RUNNING)) {
      RUNNING.remove(thing);
      if (!thing.running()) {
        continue;
      }
      left.add(thing.describe());
      try {
        thing.stop();
      } catch (RuntimeException e) {
        System.err.println("could not stop " + thing.describe() + " left by " + context.getDisplayName() + ": " + e);
      }
    }
    if (left.isEmpty()) {
      return;
    }
    System.err.println(context.getRequiredTestClass().getName() + " left running, now stopped: " + left);
    if (context.getExecutionException().isEmpty()) {
      throw new AssertionError("the test class left running what it started (now stopped): " + left);
    }
  }

  /** SIGTERM to every live process this JVM started (and theirs), then SIGKILL to those still alive after 10 s. */
  static void endChildProcesses() {
    List<ProcessHandle> children = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
    if (children.isEmpty()) {
      return;
    }
    System.err.println("test JVM exiting: ending " + children.size() + " process(es) it started: "
        + children.stream().map(p -> p.pid() + " " + p.info().command().orElse("?")).toList());
    children.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (ProcessHandle p : children) {
      long left = deadline - System.nanoTime();
      try {
        if (left > 0) {
          p.onExit().get(left, TimeUnit.NANOSECONDS);
        }
      } catch (Exception e) {
        // still alive: killed below
      }
      if (p.isAlive()) {
        p.destroyForcibly();
      }
    }
  }
}
