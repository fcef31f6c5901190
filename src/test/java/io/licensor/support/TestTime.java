package io.licensor.support;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Test timeouts that scale with the machine: a wait sized for an idle 2-core machine is
 * stretched by how loaded the machine is when the test starts (the 1-minute load average per
 * core, 1 to 4 times), or by {@code LICENSOR_TEST_TIME_SCALE} when set. Only waits scale:
 * a bound that is the behaviour under test (a lease, a rate) does not.
 */
public final class TestTime {

  private TestTime() {
  }

  /** The current factor, at least 1. */
  public static double factor() {
    String set = System.getenv("LICENSOR_TEST_TIME_SCALE");
    if (set != null && !set.isBlank()) {
      return Math.max(1, Double.parseDouble(set.trim()));
    }
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    int cores = Runtime.getRuntime().availableProcessors();
    return load < 0 ? 1 : Math.max(1, Math.min(4, load / cores));
  }

  public static Duration scaled(Duration base) {
    return Duration.ofMillis(scaledMillis(base.toMillis()));
  }

  public static long scaledMillis(long baseMillis) {
    return Math.round(baseMillis * factor());
  }
}
