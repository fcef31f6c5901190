package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.nio.file.Path;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.listFeeder;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

/**
 * Licensing at one constant arrival rate (open model), with SPEC §8's latency target as the
 * assertion: zero failed requests and p99 ≤ p99Ms (25). load-tests/benchmark.sh runs it at 70% of
 * the maximum {@link CapacitySimulation} found.
 *
 * Properties: baseUrl, operatorToken (required), algorithm (RSA-2048), tenants (10), rate (100),
 * seconds (30), p99Ms (25), warmUpSeconds (serial licensing before the run, 15), warmPhaseSeconds
 * (the uncounted phase at the same rate, 60).
 */
public class SteadySimulation extends Simulation {

  static final String ALGORITHM = System.getProperty("algorithm", "RSA-2048");
  static final int TENANTS = Integer.getInteger("tenants", 10);
  static final double RATE = Double.parseDouble(System.getProperty("rate", "100"));
  static final int SECONDS = Integer.getInteger("seconds", 30);
  static final int P99_MS = Integer.getInteger("p99Ms", 25);

  /**
   * An uncounted warm phase at the same rate first (ramped over its first third): both JVMs, the
   * server's and Gatling's, compile their paths at concurrency and open their connections. Measured
   * without it, the first 15-40 s of an open-model run on this machine are that transient, not the
   * server's steady state (load-tests/target timelines show it second by second).
   */
  static final int WARM_SECONDS = Integer.getInteger("warmPhaseSeconds", 60);

  static final Setup.Prepared PREPARED = Setup.prepare(TENANTS, 2, 2, 15, ALGORITHM);

  static final Levels SEEN = new Levels(RATE, 0, 1, SECONDS, 0, P99_MS);

  ScenarioBuilder warm = scenario("warm-up").feed(listFeeder(PREPARED.content()).random())
      .exec(Setup.licenseRequest("license (warm-up)", "pl", PREPARED.recipientJwk()));

  ScenarioBuilder license = scenario("license").feed(listFeeder(PREPARED.content()).random())
      .exec(session -> session.set("sent", System.nanoTime()))
      .exec(Setup.licenseRequest("license", "pl", PREPARED.recipientJwk()).check(jsonPath("$.useLicense").exists()))
      .exec(session -> {
        SEEN.record(session.getLong("sent"), session.isFailed());
        return session;
      });

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
        warm.injectOpen(rampUsersPerSec(RATE * 0.2).to(RATE).during(WARM_SECONDS / 3),
            constantUsersPerSec(RATE).during(WARM_SECONDS - WARM_SECONDS / 3)),
        license.injectOpen(nothingFor(WARM_SECONDS), constantUsersPerSec(RATE).during(SECONDS)))
        .protocols(Setup.protocol())
        .assertions(
            details("license").failedRequests().count().is(0L),
            details("license").responseTime().percentile(99.0).lte(P99_MS));
  }
}
