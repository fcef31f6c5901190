package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.nio.file.Path;

import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.incrementUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;

/**
 * Capacity: licensing at a stepped arrival rate (open model: arrivals do not wait for the server)
 * to find the highest rate the server sustains, that is, every request succeeds and the p99 stays
 * under sustainP99Ms. Past the maximum the queue grows for the whole level, so the p99 leaves any
 * service time far behind. The table and the maximum are printed and written to
 * target/capacity.txt; load-tests/benchmark.sh then runs {@link SteadySimulation} at 70% of it.
 *
 * Properties: baseUrl, operatorToken (required), algorithm (RSA-2048), tenants (10), startRate (50),
 * step (25), levels (12), levelSeconds (10), sustainP99Ms (250), warmUpSeconds (serial licensing
 * before the run, 15), warmLevelSeconds (the uncounted warm phase before the levels, 90), warmUsers
 * (its concurrency, 256).
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
   * An uncounted first phase, so the levels begin on a warm, connected server and load generator
   * (see SteadySimulation's warm phase).
   */
  static final int WARM_SECONDS = Integer.getInteger("warmLevelSeconds", 90);
  static final double SUSTAIN_P99_MS = Double.parseDouble(System.getProperty("sustainP99Ms", "250"));

  static final Setup.Prepared PREPARED = Setup.prepare(TENANTS, 2, 2, 15, ALGORITHM);
  static final Levels LEVELS_SEEN = new Levels(START, STEP, LEVELS, LEVEL_SECONDS, RAMP_SECONDS, SUSTAIN_P99_MS);

  ScenarioBuilder license = LEVELS_SEEN.licensing("license", "license", PREPARED);

  @Override
  public void before() {
    LEVELS_SEEN.started(WARM_SECONDS);
  }

  @Override
  public void after() {
    LEVELS_SEEN.write(Path.of(System.getProperty("capacityFile", "target/capacity.txt")));
  }

  {
    setUp(LEVELS_SEEN.afterWarmPhase(PREPARED, WARM_SECONDS, START,
        license.injectOpen(nothingFor(WARM_SECONDS),
            incrementUsersPerSec(STEP).times(LEVELS).eachLevelLasting(LEVEL_SECONDS)
                .separatedByRampsLasting(RAMP_SECONDS).startingFrom(START))))
        .protocols(Setup.protocol())
        // the first level must hold: a capacity run that cannot sustain its starting rate says nothing
        .assertions(global().requestsPerSec().gt(START * 0.5));
  }
}
