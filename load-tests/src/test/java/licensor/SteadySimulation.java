package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.nio.file.Path;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;

/**
 * Licensing at one constant arrival rate (open model), with SPEC §8's latency target as the
 * assertion: zero failed requests and p99 ≤ p99Ms (25). load-tests/benchmark.sh runs it at 70% of
 * the maximum {@link CapacitySimulation} found.
 *
 * Properties: baseUrl, operatorToken (required), algorithm (RSA-2048), tenants (10), rate (100),
 * seconds (30), p99Ms (25), warmUpSeconds (serial licensing before the run, 15), warmPhaseSeconds
 * (the uncounted warm phase, 90), warmUsers (its concurrency, 16).
 */
public class SteadySimulation extends Simulation {

  static final String ALGORITHM = System.getProperty("algorithm", "RSA-2048");
  static final int TENANTS = Integer.getInteger("tenants", 10);
  static final double RATE = Double.parseDouble(System.getProperty("rate", "100"));
  static final int SECONDS = Integer.getInteger("seconds", 30);
  static final int P99_MS = Integer.getInteger("p99Ms", 25);

  /**
   * An uncounted warm phase first, closed model (warmUsers requests in flight, each replaced as it
   * completes: as fast as the server goes, never past it): both JVMs, the server's and Gatling's,
   * compile their paths and open their connections. On this machine (JDK 17, the server's
   * non-HSM threads sharing one core with Gatling) the server's C2 compiler thread takes 30-55% of
   * that core for the first ~60 s of full load, and the server's own CPU per license is then
   * 3-4 times its steady state; measured without this phase, the first minute of a run is that
   * transient, not the server (docs/performance.md, "JIT warm-up").
   */
  static final int WARM_SECONDS = Integer.getInteger("warmPhaseSeconds", 90);
  static final int WARM_USERS = Integer.getInteger("warmUsers", 16);
  static final int HANDOVER_SECONDS = 10;

  static final Setup.Prepared PREPARED = Setup.prepare(TENANTS, 2, 2, 15, ALGORITHM);

  static final Levels SEEN = new Levels(RATE, 0, 1, SECONDS, 0, P99_MS);

  ScenarioBuilder warm = SEEN.licensing("warm-up", "license (warm-up)", PREPARED);
  ScenarioBuilder handover = SEEN.licensing("warm-up handover", "license (warm-up)", PREPARED);

  ScenarioBuilder license = SEEN.licensing("license", "license", PREPARED);

  @Override
  public void before() {
    SEEN.started(WARM_SECONDS);
  }

  /** Prints the run's latencies (as measured here, from send to response) and writes them to steadyFile. */
  @Override
  public void after() {
    try {
      SEEN.report(Path.of(System.getProperty("steadyFile", "target/steady.txt")));
      if (System.getProperty("timelineFile") != null) {
        SEEN.timeline(Path.of(System.getProperty("timelineFile")));
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  {
    setUp(
        // closed, then the last HANDOVER_SECONDS open at the first measured rate: a closed phase
        // keeps warmUsers requests queued at the HSM, which the first measured second would inherit.
        // Each phase on its own clock (andThen would start the handover only once the last closed
        // user finished, and let it overlap the measured phase)
        warm.injectClosed(constantConcurrentUsers(WARM_USERS).during(WARM_SECONDS - HANDOVER_SECONDS - 1)),
        handover.injectOpen(nothingFor(WARM_SECONDS - HANDOVER_SECONDS), constantUsersPerSec(RATE).during(HANDOVER_SECONDS)),
        license.injectOpen(nothingFor(WARM_SECONDS), constantUsersPerSec(RATE).during(SECONDS)))
        .protocols(Setup.protocol())
        .assertions(
            details("license").failedRequests().count().is(0L),
            details("license").responseTime().percentile(99.0).lte(P99_MS));
  }
}
