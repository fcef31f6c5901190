package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.util.List;
import java.util.Map;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.listFeeder;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

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

  static final String BASE = System.getProperty("baseUrl", "http://127.0.0.1:18082");
  static final int TENANTS = Integer.getInteger("tenants", 20);
  static final double RATE = Double.parseDouble(System.getProperty("rate", "50"));
  static final int SECONDS = Integer.getInteger("seconds", 30);
  static final int P99_MS = Integer.getInteger("p99Ms", 250);

  static final List<Map<String, Object>> CONTENT;
  static final String RECIPIENT;

  static {
    try {
      Setup setup = new Setup(BASE, System.getProperty("operatorToken"));
      CONTENT = setup.tenantsWithContent(TENANTS, 3, 2);
      RECIPIENT = setup.recipientJwk;
      setup.warmUp(CONTENT, Integer.getInteger("warmUpSeconds", 15));
    } catch (Exception e) {
      throw new IllegalStateException("set-up against " + BASE + " failed: " + e.getMessage(), e);
    }
  }

  HttpProtocolBuilder protocol = http.baseUrl(BASE).contentTypeHeader("application/json").disableCaching()
      .shareConnections();

  ScenarioBuilder license = scenario("license").feed(listFeeder(CONTENT).random())
      .exec(http("license").post("/v1/tenants/#{tenant}/licenses")
          .header("Authorization", "Bearer #{token}")
          .body(StringBody("{\"publishingLicense\":\"#{pl}\",\"recipientKey\":" + RECIPIENT + "}"))
          .check(status().is(200), jsonPath("$.useLicense").exists()));

  ScenarioBuilder publish = scenario("publish").feed(listFeeder(CONTENT).random())
      .exec(http("publish").post("/v1/tenants/#{tenant}/publishing-licenses")
          .header("Authorization", "Bearer #{publisher}")
          .body(StringBody("{\"contentId\":\"load-#{version}\",\"contentKey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
              + "\"policy\":{\"grants\":[{\"principal\":\"*\",\"rights\":[\"VIEW\"]}]}}"))
          .check(status().is(201)));

  {
    setUp(
        license.injectOpen(constantUsersPerSec(RATE * 0.8).during(SECONDS)),
        publish.injectOpen(constantUsersPerSec(RATE * 0.2).during(SECONDS)))
        .protocols(protocol)
        .assertions(
            global().failedRequests().count().is(0L),
            global().responseTime().percentile(99.0).lt(P99_MS));
  }
}
