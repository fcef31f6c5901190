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
 * <p>With {@code alternate=true} (a {@code zipf} or {@code versions} shape) the same node and the
 * same load generator also serve the baseline — one more tenant with one publishing license — and
 * the traffic switches between the baseline and the shape every {@code phaseSeconds} (10), warm-up
 * included. Each phase counts the licenses answered after its first {@code settleSeconds} (1), so
 * requests of the phase before do not count in it. The ratio is the shape's licenses over the
 * baseline's in the measured phases: a drift of the machine's speed (on this VM, 1.3x between
 * minutes) is then shared by both instead of deciding the ratio. Writes
 * {@code licenses-per-second=... baseline-per-second=... pair-ratios=...} to {@code resultFile}.
 *
 * Properties: baseUrl, operatorToken, algorithm (RSA-2048), shape, tenants, versions, zipfS,
 * concurrency (32), warmSeconds (30), seconds (30), setupThreads (8), alternate (false),
 * phaseSeconds (10), settleSeconds (1), resultFile, phaseClockFile ("MILLIS FIRST LAST": the
 * wall-clock millis at which phase 0 began and the first and last measured phase, written when the
 * load starts: a profiler can then be started and stopped inside the measured phases of one kind,
 * as load-tests/phase-profile.sh does).
 */
public class ScaleSimulation extends Simulation {

  static final String SHAPE = System.getProperty("shape", "one");
  static final String ALGORITHM = System.getProperty("algorithm", "RSA-2048");
  static final int CONCURRENCY = Integer.getInteger("concurrency", 32);
  static final int WARM = Integer.getInteger("warmSeconds", 30);
  static final int SECONDS = Integer.getInteger("seconds", 30);
  static final int TENANTS = Integer.getInteger("tenants", 10_000);
  static final boolean ALTERNATE = Boolean.getBoolean("alternate") && !SHAPE.equals("one");
  static final long PHASE_NANOS = Integer.getInteger("phaseSeconds", 10) * 1_000_000_000L;
  static final long SETTLE_NANOS = Integer.getInteger("settleSeconds", 1) * 1_000_000_000L;

  static final List<Map<String, Object>> CONTENT;
  /** The baseline's one record (alternate mode only). */
  static final Map<String, Object> BASELINE;
  static final String RECIPIENT;
  static final double[] CUMULATIVE;
  static final AtomicLong COUNTED = new AtomicLong();
  static volatile long measureFrom;
  static volatile long measureUntil;
  static volatile long startedAt;
  /** Licenses answered per phase (alternate mode), after each phase's settling second. */
  static final java.util.concurrent.atomic.AtomicLongArray PER_PHASE = new java.util.concurrent.atomic.AtomicLongArray(10_000);

  static {
    try {
      Setup setup = new Setup(Setup.BASE_URL, System.getProperty("operatorToken"));
      CONTENT = switch (SHAPE) {
        case "zipf" -> setup.manyTenants(TENANTS, ALGORITHM,
            Integer.getInteger("setupThreads", 8));
        case "versions" -> setup.tenantsWithContent(1, Integer.getInteger("versions", 101), 1, ALGORITHM);
        default -> setup.tenantsWithContent(1, 1, 1, ALGORITHM);
      };
      BASELINE = ALTERNATE
          ? setup.tenantsWithContent(TENANTS + 1, 1, 1, 1, ALGORITHM).get(0) : null;
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

  /** The phase a moment falls in (alternate mode): even ones serve the baseline, odd ones the shape. */
  static int phaseAt(long nanos) {
    return (int) ((nanos - startedAt) / PHASE_NANOS);
  }

  /** A record drawn by weight (Zipf, or even), or the baseline's in a baseline phase. */
  static Map<String, Object> draw() {
    if (ALTERNATE && phaseAt(System.nanoTime()) % 2 == 0) {
      return new HashMap<>(BASELINE);
    }
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
        if (ALTERNATE && !session.isFailed() && (now - startedAt) % PHASE_NANOS >= SETTLE_NANOS) {
          int phase = phaseAt(now);
          if (phase < PER_PHASE.length()) {
            PER_PHASE.incrementAndGet(phase);
          }
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
    startedAt = start;
    measureFrom = start + WARM * 1_000_000_000L;
    measureUntil = measureFrom + SECONDS * 1_000_000_000L;
    String clock = System.getProperty("phaseClockFile");
    if (clock != null) {
      try {
        int[] measured = measuredPhases();
        Files.writeString(Path.of(clock), System.currentTimeMillis() + " " + measured[0] + " " + measured[1]);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * The first and last measured phase: those wholly inside the measured window, from a baseline
   * phase to a baseline phase, so every shape phase has one on each side.
   */
  static int[] measuredPhases() {
    int first = (int) Math.ceil((double) (measureFrom - startedAt) / PHASE_NANOS);
    int last = (int) ((measureUntil - startedAt) / PHASE_NANOS) - 1;
    return new int[] {first % 2 == 1 ? first + 1 : first, last % 2 == 1 ? last - 1 : last};
  }

  /**
   * The measured phases (those wholly inside the measured window), as the shape's rate, the
   * baseline's, and the ratio of each shape phase to the mean of the baseline phases either side.
   */
  static String alternated() {
    long phaseSeconds = PHASE_NANOS / 1_000_000_000L;
    double counted = (PHASE_NANOS - SETTLE_NANOS) / 1e9;
    int[] measured = measuredPhases();
    int first = measured[0];
    int last = measured[1];
    long shape = 0;
    long baseline = 0;
    int shapes = 0;
    int baselines = 0;
    StringBuilder pairs = new StringBuilder();
    for (int p = first; p <= last; p++) {
      long n = PER_PHASE.get(p);
      if (p % 2 == 0) {
        baseline += n;
        baselines++;
      } else {
        shape += n;
        shapes++;
        double around = (PER_PHASE.get(p - 1) + PER_PHASE.get(p + 1)) / 2.0;
        pairs.append(pairs.length() == 0 ? "" : ",").append(String.format(java.util.Locale.ROOT, "%.2f", n / around));
      }
    }
    double shapeRate = shapes == 0 ? 0 : shape / (shapes * counted);
    double baselineRate = baselines == 0 ? 0 : baseline / (baselines * counted);
    return String.format(java.util.Locale.ROOT,
        "shape=%s alternate=true phase-seconds=%d licenses-per-second=%.1f baseline-per-second=%.1f phases=%d+%d"
            + " pair-ratios=%s licenses-per-second-all=%.1f%n",
        SHAPE, phaseSeconds, shapeRate, baselineRate, shapes, baselines, pairs, COUNTED.get() / (double) SECONDS);
  }

  @Override
  public void after() {
    double rate = COUNTED.get() / (double) SECONDS;
    String line = String.format(java.util.Locale.ROOT, "shape=%s licenses-per-second=%.1f%n", SHAPE, rate);
    if (ALTERNATE) {
      line = alternated();
    }
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
