package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.util.List;
import java.util.Map;

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

  static final String BASE = System.getProperty("baseUrl", "http://127.0.0.1:18082");
  static final String OPERATOR = System.getProperty("operatorToken");
  static final int TENANTS = Integer.getInteger("tenants", 10);
  static final double RATE = Double.parseDouble(System.getProperty("rate", "40"));
  static final double REKEYS = Double.parseDouble(System.getProperty("rekeysPerSecond", "1"));
  static final int SECONDS = Integer.getInteger("seconds", 30);

  static final List<Map<String, Object>> CONTENT;
  static final String RECIPIENT;

  static {
    try {
      Setup setup = new Setup(BASE, OPERATOR);
      CONTENT = setup.tenantsWithContent(TENANTS, 2, 2);
      RECIPIENT = setup.recipientJwk;
      setup.warmUp(CONTENT, Integer.getInteger("warmUpSeconds", 10));
    } catch (Exception e) {
      throw new IllegalStateException("set-up against " + BASE + " failed: " + e.getMessage(), e);
    }
  }

  HttpProtocolBuilder protocol = http.baseUrl(BASE).contentTypeHeader("application/json").disableCaching()
      .shareConnections();

  ScenarioBuilder licenseOld = scenario("license old content").feed(listFeeder(CONTENT).random())
      .exec(http("license old").post("/v1/tenants/#{tenant}/licenses")
          .header("Authorization", "Bearer #{token}")
          .body(StringBody("{\"publishingLicense\":\"#{pl}\",\"recipientKey\":" + RECIPIENT + "}"))
          .check(status().is(200)));

  ScenarioBuilder publishThenLicense = scenario("publish, then license at once").feed(listFeeder(CONTENT).random())
      .exec(http("publish").post("/v1/tenants/#{tenant}/publishing-licenses")
          .header("Authorization", "Bearer #{publisher}")
          .body(StringBody("{\"contentId\":\"during-rekey\",\"contentKey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
              + "\"policy\":{\"grants\":[{\"principal\":\"*\",\"rights\":[\"VIEW\"]}]}}"))
          .check(status().is(201), jsonPath("$.publishingLicense").saveAs("fresh")))
      .exec(http("license new").post("/v1/tenants/#{tenant}/licenses")
          .header("Authorization", "Bearer #{token}")
          .body(StringBody("{\"publishingLicense\":\"#{fresh}\",\"recipientKey\":" + RECIPIENT + "}"))
          .check(status().is(200)));

  ScenarioBuilder rekey = scenario("re-key").feed(listFeeder(CONTENT).random())
      .exec(http("re-key").post("/v1/tenants/#{tenant}/keys/rekey")
          .header("Authorization", "Bearer " + OPERATOR)
          .body(StringBody("{\"origin\":\"service\",\"algorithm\":\"EC-P256\"}"))
          .check(status().is(201)));

  {
    setUp(
        licenseOld.injectOpen(constantUsersPerSec(RATE * 0.75).during(SECONDS)),
        publishThenLicense.injectOpen(constantUsersPerSec(RATE * 0.25).during(SECONDS)),
        rekey.injectOpen(constantUsersPerSec(REKEYS).during(SECONDS)))
        .protocols(protocol)
        .assertions(global().failedRequests().count().is(0L));
  }
}
