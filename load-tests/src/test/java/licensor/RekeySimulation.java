package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import io.gatling.javaapi.core.PopulationBuilder;

import java.util.ArrayList;
import java.util.List;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.listFeeder;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * Re-key under load (SPEC §8: zero failed license requests across a re-key). While content made
 * under older key versions is licensed, and new content is published and licensed at once, an
 * operator keeps re-keying the tenants. Every request must succeed: old content licenses under the
 * retained versions, new content under whichever version was current when it was published.
 *
 * <p>As SteadySimulation, it begins with an uncounted warm phase of the same mix without re-keys
 * ({@link Levels#warmPhase} says why: on this machine a cold server and load generator spend the
 * first minute compiling, and a node that meets its full rate cold sheds load with 503 hsm-busy
 * for a second or two), then an open handover at the measured rates; the assertions cover the
 * measured phase, where the re-keys run.
 *
 * <p>Properties: baseUrl, operatorToken (required), tenants (10), rate (license requests/s, 40),
 * rekeysPerSecond (1), seconds (30), warmPhaseSeconds (60; 0: none), warmUsers (256).
 */
public class RekeySimulation extends Simulation {

  static final String OPERATOR = System.getProperty("operatorToken");
  static final int TENANTS = Integer.getInteger("tenants", 10);
  static final double RATE = Double.parseDouble(System.getProperty("rate", "40"));
  static final double REKEYS = Double.parseDouble(System.getProperty("rekeysPerSecond", "1"));
  static final int SECONDS = Integer.getInteger("seconds", 30);

  static final int WARM_SECONDS = Integer.getInteger("warmPhaseSeconds", 60);

  static final Setup.Prepared PREPARED = Setup.prepare(TENANTS, 2, 2, 10);

  static ScenarioBuilder licenseOld(String phase) {
    return scenario("license old content" + phase).feed(listFeeder(PREPARED.content()).random())
        .exec(Setup.licenseRequest("license old" + phase, "pl", PREPARED.recipientJwk()));
  }

  static ScenarioBuilder publishThenLicense(String phase) {
    return scenario("publish, then license at once" + phase).feed(listFeeder(PREPARED.content()).random())
        .exec(Setup.publishRequest("publish" + phase, "during-rekey").check(jsonPath("$.publishingLicense").saveAs("fresh")))
        .exec(Setup.licenseRequest("license new" + phase, "fresh", PREPARED.recipientJwk()));
  }

  /**
   * The mix without re-keys: closed (warmUsers in flight, three in four licensing old content), then
   * the last {@link Levels#HANDOVER_SECONDS} open at the measured rates; each phase on its own clock.
   */
  static List<PopulationBuilder> warmPhase() {
    List<PopulationBuilder> warm = new ArrayList<>();
    if (WARM_SECONDS <= Levels.HANDOVER_SECONDS + 1) {
      return warm;
    }
    int closed = WARM_SECONDS - Levels.HANDOVER_SECONDS - 1;
    int users = Math.max(4, Levels.WARM_USERS);
    warm.add(licenseOld(" (warm-up)").injectClosed(constantConcurrentUsers(users - users / 4).during(closed)));
    warm.add(publishThenLicense(" (warm-up)").injectClosed(constantConcurrentUsers(users / 4).during(closed)));
    warm.add(licenseOld(" (handover)").injectOpen(nothingFor(WARM_SECONDS - Levels.HANDOVER_SECONDS),
        constantUsersPerSec(RATE * 0.75).during(Levels.HANDOVER_SECONDS)));
    warm.add(publishThenLicense(" (handover)").injectOpen(nothingFor(WARM_SECONDS - Levels.HANDOVER_SECONDS),
        constantUsersPerSec(RATE * 0.25).during(Levels.HANDOVER_SECONDS)));
    return warm;
  }

  static int measuredFrom() {
    return WARM_SECONDS <= Levels.HANDOVER_SECONDS + 1 ? 0 : WARM_SECONDS;
  }

  ScenarioBuilder rekey = scenario("re-key").feed(listFeeder(PREPARED.content()).random())
      .exec(http("re-key").post("/v1/tenants/#{tenant}/keys/rekey")
          .header("Authorization", "Bearer " + OPERATOR)
          .body(StringBody("{\"origin\":\"service\",\"algorithm\":\"EC-P256\"}"))
          .check(status().is(201)));

  {
    List<PopulationBuilder> all = warmPhase();
    all.add(licenseOld("").injectOpen(nothingFor(measuredFrom()), constantUsersPerSec(RATE * 0.75).during(SECONDS)));
    all.add(publishThenLicense("").injectOpen(nothingFor(measuredFrom()), constantUsersPerSec(RATE * 0.25).during(SECONDS)));
    all.add(rekey.injectOpen(nothingFor(measuredFrom()), constantUsersPerSec(REKEYS).during(SECONDS)));
    setUp(all)
        .protocols(Setup.protocol())
        .assertions(
            details("license old").failedRequests().count().is(0L),
            details("publish").failedRequests().count().is(0L),
            details("license new").failedRequests().count().is(0L),
            details("re-key").failedRequests().count().is(0L));
  }
}
