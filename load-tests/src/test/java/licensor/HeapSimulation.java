package licensor;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.util.List;
import java.util.Map;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.listFeeder;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

/**
 * Memory under load over many tenants (SPEC §8: heap < 256 MiB with 10,000 tenants): creates the
 * tenants (one key version each, EC-P256 by default so set-up stays quick) and one publishing
 * license per tenant, then licenses content of tenants picked at random, so every tenant's key
 * version passes through the node's caches. load-tests/heap.sh runs it against a node limited to a
 * 256 MiB heap with GC logging and reads the log.
 *
 * Properties: baseUrl, operatorToken (required), tenants (10000), algorithm (EC-P256), rate (100),
 * seconds (120), setupThreads (8).
 */
public class HeapSimulation extends Simulation {

  static final int TENANTS = Integer.getInteger("tenants", 10_000);
  static final String ALGORITHM = System.getProperty("algorithm", "EC-P256");
  static final double RATE = Double.parseDouble(System.getProperty("rate", "100"));
  static final int SECONDS = Integer.getInteger("seconds", 120);

  static final List<Map<String, Object>> CONTENT;
  static final String RECIPIENT;

  static {
    try {
      Setup setup = new Setup(Setup.BASE_URL, System.getProperty("operatorToken"));
      CONTENT = setup.manyTenants(TENANTS, ALGORITHM, Integer.getInteger("setupThreads", 8));
      RECIPIENT = setup.recipientJwk;
    } catch (Exception e) {
      throw new IllegalStateException("set-up against " + Setup.BASE_URL + " failed: " + e.getMessage(), e);
    }
  }

  ScenarioBuilder license = scenario("license").feed(listFeeder(CONTENT).random())
      .exec(Setup.licenseRequest("license", "pl", RECIPIENT));

  {
    // a 30 s ramp first: the node's JIT compiles the licensing path while its caches fill
    setUp(license.injectOpen(rampUsersPerSec(1).to(RATE).during(30), constantUsersPerSec(RATE).during(SECONDS)))
        .protocols(Setup.protocol())
        .assertions(global().failedRequests().count().is(0L));
  }
}
