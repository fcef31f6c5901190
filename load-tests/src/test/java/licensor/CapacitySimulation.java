package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.nio.file.Path;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.incrementUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.listFeeder;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

/**
 * Capacity: licensing at a stepped arrival rate (open model: arrivals do not wait for the server)
 * to find the highest rate the server sustains, that is, every request succeeds and the p99 stays
 * under sustainP99Ms. Past the maximum the queue grows for the whole level, so the p99 leaves any
 * service time far behind. The table and the maximum are printed and written to
 * target/capacity.txt; load-tests/benchmark.sh then runs {@link SteadySimulation} at 70% of it.
 *
 * Properties: baseUrl, operatorToken (required), algorithm (RSA-2048), tenants (10), startRate (50),
 * step (25), levels (12), levelSeconds (10), sustainP99Ms (250), warmUpSeconds (serial licensing
 * before the run, 15), warmLevelSeconds (an uncounted phase ramping to startRate before the levels, 60).
 */
public class CapacitySimulation extends Simulation {

  static final String ALGORITHM = System.getProperty("algorithm", "RSA-2048");
  static final int TENANTS = Integer.getInteger("tenants", 10);
  static final double START = Double.parseDouble(System.getProperty("startRate", "50"));
  static final double STEP = Double.parseDouble(System.getProperty("step", "25"));
  static final int LEVELS = Integer.getInteger("levels", 12);
  static final int LEVEL_SECONDS = Integer.getInteger("levelSeconds", 10);
  static final int RAMP_SECONDS = 2;
  /**
   * An uncounted first phase ramping to the starting rate, so the levels begin on a warm, connected
   * server and load generator (see SteadySimulation's warm phase).
   */
  static final int WARM_SECONDS = Integer.getInteger("warmLevelSeconds", 60);
  static final double SUSTAIN_P99_MS = Double.parseDouble(System.getProperty("sustainP99Ms", "250"));

  static final Setup.Prepared PREPARED = Setup.prepare(TENANTS, 2, 2, 15, ALGORITHM);
  static final Levels LEVELS_SEEN = new Levels(START, STEP, LEVELS, LEVEL_SECONDS, RAMP_SECONDS, SUSTAIN_P99_MS);

  ScenarioBuilder warm = scenario("warm-up").feed(listFeeder(PREPARED.content()).random())
      .exec(Setup.licenseRequest("license (warm-up)", "pl", PREPARED.recipientJwk()));

  ScenarioBuilder license = scenario("license").feed(listFeeder(PREPARED.content()).random())
      .exec(session -> session.set("sent", System.nanoTime()))
      .exec(Setup.licenseRequest("license", "pl", PREPARED.recipientJwk()))
      .exec(session -> {
        LEVELS_SEEN.record(session.getLong("sent"), session.isFailed());
        return session;
      });

  @Override
  public void before() {
    LEVELS_SEEN.started(WARM_SECONDS);
  }

  @Override
  public void after() {
    try {
      LEVELS_SEEN.report(Path.of(System.getProperty("capacityFile", "target/capacity.txt")));
      if (System.getProperty("timelineFile") != null) {
        LEVELS_SEEN.timeline(Path.of(System.getProperty("timelineFile")));
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  {
    setUp(
        warm.injectOpen(rampUsersPerSec(START * 0.2).to(START).during(WARM_SECONDS / 3),
            constantUsersPerSec(START).during(WARM_SECONDS - WARM_SECONDS / 3)),
        license.injectOpen(nothingFor(WARM_SECONDS),
            incrementUsersPerSec(STEP).times(LEVELS).eachLevelLasting(LEVEL_SECONDS)
                .separatedByRampsLasting(RAMP_SECONDS).startingFrom(START)))
        .protocols(Setup.protocol())
        // the first level must hold: a capacity run that cannot sustain its starting rate says nothing
        .assertions(global().requestsPerSec().gt(START * 0.5));
  }
}
