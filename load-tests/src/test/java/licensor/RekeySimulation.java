package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
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
 * Properties: baseUrl, operatorToken (required), tenants (10), rate (license requests/s, 40),
 * rekeysPerSecond (1), seconds (30).
 */
public class RekeySimulation extends Simulation {

  static final String OPERATOR = System.getProperty("operatorToken");
  static final int TENANTS = Integer.getInteger("tenants", 10);
  static final double RATE = Double.parseDouble(System.getProperty("rate", "40"));
  static final double REKEYS = Double.parseDouble(System.getProperty("rekeysPerSecond", "1"));
  static final int SECONDS = Integer.getInteger("seconds", 30);

  static final Setup.Prepared PREPARED = Setup.prepare(TENANTS, 2, 2, 10);

  ScenarioBuilder licenseOld = scenario("license old content").feed(listFeeder(PREPARED.content()).random())
      .exec(Setup.licenseRequest("license old", "pl", PREPARED.recipientJwk()));

  ScenarioBuilder publishThenLicense = scenario("publish, then license at once").feed(listFeeder(PREPARED.content()).random())
      .exec(Setup.publishRequest("publish", "during-rekey").check(jsonPath("$.publishingLicense").saveAs("fresh")))
      .exec(Setup.licenseRequest("license new", "fresh", PREPARED.recipientJwk()));

  ScenarioBuilder rekey = scenario("re-key").feed(listFeeder(PREPARED.content()).random())
      .exec(http("re-key").post("/v1/tenants/#{tenant}/keys/rekey")
          .header("Authorization", "Bearer " + OPERATOR)
          .body(StringBody("{\"origin\":\"service\",\"algorithm\":\"EC-P256\"}"))
          .check(status().is(201)));

  {
    setUp(
        licenseOld.injectOpen(constantUsersPerSec(RATE * 0.75).during(SECONDS)),
        publishThenLicense.injectOpen(constantUsersPerSec(RATE * 0.25).during(SECONDS)),
        rekey.injectOpen(constantUsersPerSec(REKEYS).during(SECONDS)))
        .protocols(Setup.protocol())
        .assertions(global().failedRequests().count().is(0L));
  }
}
