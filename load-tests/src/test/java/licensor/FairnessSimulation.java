package licensor;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.listFeeder;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.responseTimeInMillis;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * One tenant floods, another licenses at a steady rate: does the quiet tenant keep SPEC §8's p99?
 * Two tenants (RSA-2048), then three phases on one clock:
 * <ol>
 *   <li>warm: both tenants at their steady rates (warmSeconds, uncounted);</li>
 *   <li>alone: the quiet tenant alone at quietRate (seconds) — the baseline;</li>
 *   <li>flooded: the quiet tenant at quietRate again, while the flooder either sends floodRate
 *       requests/s (open model; with a rate limit L, 5 × L) or keeps floodUsers requests in flight
 *       as fast as the server answers (closed model, floodUsers > 0: it saturates the HSM).</li>
 * </ol>
 * The flooder's answers may be 200, 429 rate-limited or 503 hsm-busy; the quiet tenant's must all be
 * 200 with p99 ≤ p99Ms (25), asserted. Prints every phase's latencies and the flooder's answers by
 * status, and writes them to fairnessFile.
 */
public class FairnessSimulation extends Simulation {

  static final double QUIET_RATE = Double.parseDouble(System.getProperty("quietRate", "100"));
  static final double FLOOD_RATE = Double.parseDouble(System.getProperty("floodRate", "300"));
  static final int FLOOD_USERS = Integer.getInteger("floodUsers", 0);
  static final int SECONDS = Integer.getInteger("seconds", 30);
  static final int WARM_SECONDS = Integer.getInteger("warmSeconds", 60);
  static final double WARM_FLOOD_RATE = Double.parseDouble(System.getProperty("warmFloodRate", "40"));
  static final int P99_MS = Integer.getInteger("p99Ms", 25);
  /** What the flooder sends: {@code licenses}, or {@code key-operations} (its tenant admin's exports, KEKs, re-keys). */
  static final String FLOOD_KIND = System.getProperty("floodKind", "licenses");

  static final Setup.Prepared PREPARED = Setup.prepare(2, 1, 4, 15, "RSA-2048");
  static final List<Map<String, Object>> FLOOD = PREPARED.content().stream()
      .filter(c -> c.get("tenant").equals(PREPARED.content().get(0).get("tenant"))).toList();
  static final List<Map<String, Object>> QUIET = PREPARED.content().stream()
      .filter(c -> !c.get("tenant").equals(PREPARED.content().get(0).get("tenant"))).toList();

  static final Map<String, ConcurrentLinkedQueue<int[]>> SEEN = new ConcurrentHashMap<>();

  static ScenarioBuilder licensing(String name, List<Map<String, Object>> content, boolean flooder) {
    return scenario(name)
        .feed(listFeeder(content).circular())
        .exec(Setup.licenseRequest(name, "pl", PREPARED.recipientJwk())
            .check(flooder ? status().in(200, 429, 503) : status().is(200))
            .check(status().saveAs("status"), responseTimeInMillis().saveAs("rt")))
        .exec(session -> {
          if (session.contains("rt")) {
            SEEN.computeIfAbsent(name, n -> new ConcurrentLinkedQueue<>())
                .add(new int[] {session.getInt("rt"), session.contains("status") ? session.getInt("status") : 0});
          }
          return session;
        });
  }

  /** Each flooding admin's pause between rounds (ms): the review's flood was tens of costly requests in flight, not an HTTP flood. */
  static final int FLOOD_PAUSE_MS = Integer.getInteger("floodPauseMs", 1000);

  /**
   * The flooding tenant admin: exports of version 1 (PBKDF2), key-exchange keys (RSA-4096) and
   * re-keys (RSA-2048 generation), round after round with floodPauseMs between rounds; 200/201,
   * 429 rate-limited or 503 hsm-busy.
   */
  static ScenarioBuilder keyOperations(String name, List<Map<String, Object>> content) {
    return scenario(name)
        .feed(listFeeder(content).circular())
        .exec(io.gatling.javaapi.http.HttpDsl.http(name + "-export").post("/v1/tenants/#{tenant}/keys/1/export")
                .header("Authorization", "Bearer #{admin}").header("Content-Type", "application/json")
                .body(io.gatling.javaapi.core.CoreDsl.StringBody("{\"password\":\"Correct-horse-battery-9\"}"))
                .check(status().in(200, 429, 503), status().saveAs("status"), responseTimeInMillis().saveAs("rt")),
            io.gatling.javaapi.http.HttpDsl.http(name + "-kek").post("/v1/tenants/#{tenant}/byok/kek")
                .header("Authorization", "Bearer #{admin}").header("Content-Type", "application/json")
                .body(io.gatling.javaapi.core.CoreDsl.StringBody("{}"))
                .check(status().in(201, 429, 503)),
            io.gatling.javaapi.http.HttpDsl.http(name + "-rekey").post("/v1/tenants/#{tenant}/keys/rekey")
                .header("Authorization", "Bearer #{admin}").header("Content-Type", "application/json")
                .body(io.gatling.javaapi.core.CoreDsl.StringBody("{\"origin\":\"service\",\"algorithm\":\"RSA-2048\"}"))
                .check(status().in(201, 429, 503), status().saveAs("status"), responseTimeInMillis().saveAs("rt")))
        .pause(java.time.Duration.ofMillis(FLOOD_PAUSE_MS))
        .exec(session -> {
          if (session.contains("rt")) {
            SEEN.computeIfAbsent(name, n -> new ConcurrentLinkedQueue<>())
                .add(new int[] {session.getInt("rt"), session.contains("status") ? session.getInt("status") : 0});
          }
          return session;
        });
  }

  static ScenarioBuilder flood(String name) {
    return "key-operations".equals(FLOOD_KIND) ? keyOperations(name, FLOOD) : licensing(name, FLOOD, true);
  }

  @Override
  public void after() {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "quiet tenant %.0f/s; flooder %s; %d s per phase%n", QUIET_RATE,
        FLOOD_KIND + ", " + (FLOOD_USERS > 0 ? FLOOD_USERS + " requests in flight (closed model)" : String.format(Locale.ROOT, "%.0f/s", FLOOD_RATE)),
        SECONDS));
    for (String name : List.of("quiet-alone", "quiet-flooded", "flood")) {
      ConcurrentLinkedQueue<int[]> q = SEEN.getOrDefault(name, new ConcurrentLinkedQueue<>());
      long[] rts = q.stream().mapToLong(a -> a[0]).sorted().toArray();
      Map<Integer, Long> byStatus = new java.util.TreeMap<>();
      q.forEach(a -> byStatus.merge(a[1], 1L, Long::sum));
      out.append(String.format(Locale.ROOT, "%-14s n=%6d  p50=%4d ms  p99=%4d ms  max=%5d ms  status=%s%n", name, rts.length,
          Levels.nearestRank(rts, 0.50), Levels.nearestRank(rts, 0.99), rts.length == 0 ? 0 : rts[rts.length - 1], byStatus));
    }
    System.out.print(out);
    try {
      Path file = Path.of(System.getProperty("fairnessFile", "target/fairness.txt"));
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, out.toString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  {
    List<PopulationBuilder> phases = new ArrayList<>(Arrays.asList(
        licensing("warm-quiet", QUIET, false).injectOpen(constantUsersPerSec(QUIET_RATE).during(WARM_SECONDS)),
        licensing("warm-flood", FLOOD, true).injectOpen(constantUsersPerSec(WARM_FLOOD_RATE).during(WARM_SECONDS)),
        licensing("quiet-alone", QUIET, false).injectOpen(nothingFor(WARM_SECONDS),
            constantUsersPerSec(QUIET_RATE).during(SECONDS)),
        licensing("quiet-flooded", QUIET, false).injectOpen(nothingFor(WARM_SECONDS + SECONDS),
            constantUsersPerSec(QUIET_RATE).during(SECONDS))));
    // the flood starts 2 s before the quiet tenant's measured phase, so that phase sees it at full strength
    int floodStart = WARM_SECONDS + SECONDS - 2;
    phases.add(FLOOD_USERS > 0
        ? flood("flood").injectClosed(
            constantConcurrentUsers(0).during(floodStart), constantConcurrentUsers(FLOOD_USERS).during(SECONDS + 2))
        : flood("flood").injectOpen(nothingFor(floodStart), constantUsersPerSec(FLOOD_RATE).during(SECONDS + 2)));
    setUp(phases)
        .protocols(Setup.protocol())
        .assertions(
            details("quiet-alone").failedRequests().count().is(0L),
            details("quiet-flooded").failedRequests().count().is(0L),
            details("quiet-flooded").responseTime().percentile(99.0).lte(P99_MS));
  }
}
