package licensor;

import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cost as the work grows (issue 20, item 5): licenses/s, closed model (as fast as the server goes),
 * with the traffic shaped by {@code shape}:
 * <ul>
 *   <li>{@code one}: one tenant, one publishing license — the baseline;</li>
 *   <li>{@code zipf}: {@code tenants} tenants (10,000), one publishing license each, each request's
 *       tenant drawn from a Zipf distribution (exponent {@code zipfS}, 1.0): a few tenants take most
 *       of the traffic, most are seldom asked, and every one is;</li>
 *   <li>{@code versions}: one tenant re-keyed until it holds {@code versions} (101) key versions
 *       (100 retained), one publishing license under each, requests spread evenly over them.</li>
 * </ul>
 * Counts the licenses answered 200 in the last {@code seconds} of the run (after {@code warmSeconds})
 * and writes {@code licenses-per-second=...} to {@code resultFile}.
 *
 * Properties: baseUrl, operatorToken, algorithm (RSA-2048), shape, tenants, versions, zipfS,
 * concurrency (32), warmSeconds (30), seconds (30), setupThreads (8), resultFile.
 */
public class ScaleSimulation extends Simulation {

  static final String SHAPE = System.getProperty("shape", "one");
  static final String ALGORITHM = System.getProperty("algorithm", "RSA-2048");
  static final int CONCURRENCY = Integer.getInteger("concurrency", 32);
  static final int WARM = Integer.getInteger("warmSeconds", 30);
  static final int SECONDS = Integer.getInteger("seconds", 30);

  static final List<Map<String, Object>> CONTENT;
  static final String RECIPIENT;
  static final double[] CUMULATIVE;
  static final AtomicLong COUNTED = new AtomicLong();
  static volatile long measureFrom;
  static volatile long measureUntil;

  static {
    try {
      Setup setup = new Setup(Setup.BASE_URL, System.getProperty("operatorToken"));
      CONTENT = switch (SHAPE) {
        case "zipf" -> setup.manyTenants(Integer.getInteger("tenants", 10_000), ALGORITHM,
            Integer.getInteger("setupThreads", 8));
        case "versions" -> setup.tenantsWithContent(1, Integer.getInteger("versions", 101), 1, ALGORITHM);
        default -> setup.tenantsWithContent(1, 1, 1, ALGORITHM);
      };
      RECIPIENT = setup.recipientJwk;
      double s = Double.parseDouble(System.getProperty("zipfS", "1.0"));
      CUMULATIVE = new double[CONTENT.size()];
      double sum = 0;
      for (int i = 0; i < CUMULATIVE.length; i++) {
        sum += SHAPE.equals("zipf") ? 1.0 / Math.pow(i + 1, s) : 1.0;
        CUMULATIVE[i] = sum;
      }
      System.out.printf("scale: shape=%s %d publishing license(s) over %s tenant(s)%n", SHAPE, CONTENT.size(),
          CONTENT.stream().map(m -> m.get("tenant")).distinct().count());
    } catch (Exception e) {
      throw new IllegalStateException("set-up against " + Setup.BASE_URL + " failed: " + e.getMessage(), e);
    }
  }

  /** A record drawn by weight (Zipf, or even). */
  static Map<String, Object> draw() {
    double u = ThreadLocalRandom.current().nextDouble() * CUMULATIVE[CUMULATIVE.length - 1];
    int lo = 0;
    int hi = CUMULATIVE.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (CUMULATIVE[mid] < u) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return new HashMap<>(CONTENT.get(lo));
  }

  static final Iterator<Map<String, Object>> FEED = new Iterator<>() {
    @Override
    public boolean hasNext() {
      return true;
    }

    @Override
    public Map<String, Object> next() {
      return draw();
    }
  };

  ScenarioBuilder license = scenario("license").feed(FEED)
      .exec(Setup.licenseRequest("license", "pl", RECIPIENT))
      .exec(session -> {
        long now = System.nanoTime();
        if (!session.isFailed() && now >= measureFrom && now < measureUntil) {
          COUNTED.incrementAndGet();
        }
        return session;
      });

  {
    setUp(license.injectClosed(constantConcurrentUsers(CONCURRENCY).during(WARM + SECONDS)))
        .protocols(Setup.protocol());
  }

  @Override
  public void before() {
    long start = System.nanoTime();
    measureFrom = start + WARM * 1_000_000_000L;
    measureUntil = measureFrom + SECONDS * 1_000_000_000L;
  }

  @Override
  public void after() {
    double rate = COUNTED.get() / (double) SECONDS;
    String line = String.format(java.util.Locale.ROOT, "shape=%s licenses-per-second=%.1f%n", SHAPE, rate);
    System.out.print("scale: " + line);
    String file = System.getProperty("resultFile");
    if (file != null) {
      try {
        Files.writeString(Path.of(file), line);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
