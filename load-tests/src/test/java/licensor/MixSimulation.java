package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.listFeeder;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;

/**
 * A realistic mix against a running licensor: many tenants (RSA-2048 and EC-P256), each with
 * content under three key versions (re-keyed while the content was made), licensed by their users
 * (80%) while others publish (20%), at a constant arrival rate (open model).
 *
 * Properties: baseUrl, operatorToken (required), tenants (20), rate (requests/s, 50), seconds (30),
 * p99Ms (the p99 the run must stay under, 250: a regression guard; the SPEC §8 p99 belongs to the
 * capacity run at 70% of the maximum), warmUpSeconds (licensing before the measured run, 15).
 */
public class MixSimulation extends Simulation {

  static final int TENANTS = Integer.getInteger("tenants", 20);
  static final double RATE = Double.parseDouble(System.getProperty("rate", "50"));
  static final int SECONDS = Integer.getInteger("seconds", 30);
  static final int P99_MS = Integer.getInteger("p99Ms", 250);

  static final Setup.Prepared PREPARED = Setup.prepare(TENANTS, 3, 2, 15);

  ScenarioBuilder license = scenario("license").feed(listFeeder(PREPARED.content()).random())
      .exec(Setup.licenseRequest("license", "pl", PREPARED.recipientJwk()).check(jsonPath("$.useLicense").exists()));

  ScenarioBuilder publish = scenario("publish").feed(listFeeder(PREPARED.content()).random())
      .exec(Setup.publishRequest("publish", "load-#{version}"));

  {
    setUp(
        license.injectOpen(constantUsersPerSec(RATE * 0.8).during(SECONDS)),
        publish.injectOpen(constantUsersPerSec(RATE * 0.2).during(SECONDS)))
        .protocols(Setup.protocol())
        .assertions(
            global().failedRequests().count().is(0L),
            global().responseTime().percentile(99.0).lt(P99_MS));
  }
}
