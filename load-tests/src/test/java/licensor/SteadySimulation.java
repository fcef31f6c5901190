package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.nio.file.Path;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;

/**
 * Licensing at one constant arrival rate (open model), with SPEC §8's latency target as the
 * assertion: zero failed requests and p99 ≤ p99Ms (25). load-tests/benchmark.sh runs it at 70% of
 * the maximum {@link CapacitySimulation} found.
 *
 * Properties: baseUrl, operatorToken (required), algorithm (RSA-2048), tenants (10), rate (100),
 * seconds (30), p99Ms (25), warmUpSeconds (serial licensing before the run, 15), warmPhaseSeconds
 * (the uncounted warm phase, 90), warmUsers (its concurrency, 256).
 */
public class SteadySimulation extends Simulation {

  static final String ALGORITHM = System.getProperty("algorithm", "RSA-2048");
  static final int TENANTS = Integer.getInteger("tenants", 10);
  static final double RATE = Double.parseDouble(System.getProperty("rate", "100"));
  static final int SECONDS = Integer.getInteger("seconds", 30);
  static final int P99_MS = Integer.getInteger("p99Ms", 25);

  /** The uncounted warm phase first ({@link Levels#warmPhase}: why, and how). */
  static final int WARM_SECONDS = Integer.getInteger("warmPhaseSeconds", 90);

  static final Setup.Prepared PREPARED = Setup.prepare(TENANTS, 2, 2, 15, ALGORITHM);

  static final Levels SEEN = new Levels(RATE, 0, 1, SECONDS, 0, P99_MS);

  ScenarioBuilder license = SEEN.licensing("license", "license", PREPARED);

  @Override
  public void before() {
    SEEN.started(WARM_SECONDS);
  }

  /** Prints the run's latencies (Gatling's response times) and writes them to steadyFile. */
  @Override
  public void after() {
    SEEN.write(Path.of(System.getProperty("steadyFile", "target/steady.txt")));
  }

  {
    setUp(SEEN.afterWarmPhase(PREPARED, WARM_SECONDS, RATE,
        license.injectOpen(nothingFor(WARM_SECONDS), constantUsersPerSec(RATE).during(SECONDS))))
        .protocols(Setup.protocol())
        .assertions(
            details("license").failedRequests().count().is(0L),
            details("license").responseTime().percentile(99.0).lte(P99_MS));
  }
}
