package licensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Latencies and failures of a stepped open-model run, by arrival-rate level, so the capacity run
 * can say which levels the server sustained. A request belongs to the level in which it was sent;
 * requests sent during the ramps between levels are not counted.
 */
final class Levels {

  /** {@code problem}: the slug of a failed request's problem type (or its status), null when it succeeded. */
  record Sample(long sentNanos, long latencyNanos, boolean failed, String problem) {
  }

  record Level(int index, double offeredPerSecond, int sent, int failed, double p50Ms, double p99Ms, double maxMs,
               boolean sustained, String problems) {
  }

  private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
  private final double startRate;
  private final double step;
  private final int levels;
  private final double levelSeconds;
  private final double rampSeconds;
  private final double sustainP99Ms;
  private volatile long start;

  Levels(double startRate, double step, int levels, double levelSeconds, double rampSeconds, double sustainP99Ms) {
    this.startRate = startRate;
    this.step = step;
    this.levels = levels;
    this.levelSeconds = levelSeconds;
    this.rampSeconds = rampSeconds;
    this.sustainP99Ms = sustainP99Ms;
  }

  /**
   * A licensing scenario whose requests (named {@code request}) are timed here, from send to
   * response. The uncounted warm phase and the measured levels both use one, so the load
   * generator's JIT has compiled the very chain it measures with (its first use of the JSON check
   * and the session functions cost 100+ ms of p99 when only the measured phase had them); samples
   * sent before {@link #started} count in no level.
   */
  io.gatling.javaapi.core.ScenarioBuilder licensing(String scenario, String request, Setup.Prepared prepared) {
    return io.gatling.javaapi.core.CoreDsl.scenario(scenario)
        .feed(io.gatling.javaapi.core.CoreDsl.listFeeder(prepared.content()).random())
        .exec(session -> session.set("sent", System.nanoTime()))
        .exec(Setup.licenseRequest(request, "pl", prepared.recipientJwk())
            .check(io.gatling.javaapi.core.CoreDsl.responseTimeInMillis().saveAs("rt"))
            .check(io.gatling.javaapi.core.CoreDsl.jsonPath("$.useLicense").exists()))
        .exec(session -> {
          record(session.getLong("sent"), session.contains("rt") ? session.getInt("rt") : -1, session.isFailed(),
              session.isFailed() ? problem(session) : null);
          return session.remove("rt").remove("problem").remove("status");
        });
  }

  /**
   * Concurrency of the warm phase's closed model (property warmUsers, 256), and so the keep-alive
   * connections it leaves in the shared pool ({@link Setup#protocol}). With 16, the handover to the
   * open model at 1,300/s found too few: every request arriving while they were busy opened a
   * connection of its own, 2,200 to 10,500 TLS handshakes within two seconds, whose cost on the node
   * and on Gatling's one core held latency at seconds and filled the node's HSM queue (503
   * hsm-busy) for five to eight seconds. With 64 the handover opened none, but a hiccup of more than
   * ~45 ms at 1,400/s still grew the pool mid-run and broke a level (JDK 25); with 256 every level
   * to 2,001/s was clean (docs/performance.md, 2026-12-03).
   */
  static final int WARM_USERS = Integer.getInteger("warmUsers", 256);
  /** The warm phase's last seconds: open model at the first measured rate. */
  static final int HANDOVER_SECONDS = 10;

  /**
   * The uncounted warm phase of {@code warmSeconds} before the measured one. Closed model first
   * (warmUsers requests in flight, each replaced as it completes: as fast as the server goes,
   * never past it), so both JVMs, the server's and Gatling's, compile their paths and open their
   * connections. On this machine (JDK 17, the server's non-HSM threads sharing one core with
   * Gatling) the server's C2 compiler thread takes 30-55% of that core for the first ~60 s of full
   * load, and the server's own CPU per license is then 3-4 times its steady state; measured without
   * this phase, the first minute of a run is that transient, not the server (docs/performance.md,
   * "JIT warm-up"). Then the last HANDOVER_SECONDS open at {@code firstRate}: a closed phase keeps
   * warmUsers requests queued at the HSM, which the first measured second would inherit. Each
   * phase runs on its own clock (andThen would start the handover only once the last closed user
   * finished, and let it overlap the measured phase).
   */
  List<io.gatling.javaapi.core.PopulationBuilder> warmPhase(Setup.Prepared prepared, int warmSeconds, double firstRate) {
    return List.of(
        licensing("warm-up", "license (warm-up)", prepared).injectClosed(
            io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers(WARM_USERS).during(warmSeconds - HANDOVER_SECONDS - 1)),
        licensing("warm-up handover", "license (warm-up)", prepared).injectOpen(
            io.gatling.javaapi.core.CoreDsl.nothingFor(warmSeconds - HANDOVER_SECONDS),
            io.gatling.javaapi.core.CoreDsl.constantUsersPerSec(firstRate).during(HANDOVER_SECONDS)));
  }

  /** The warm phase, then {@code measured}: what a simulation sets up. */
  List<io.gatling.javaapi.core.PopulationBuilder> afterWarmPhase(Setup.Prepared prepared, int warmSeconds, double firstRate,
                                                                 io.gatling.javaapi.core.PopulationBuilder measured) {
    List<io.gatling.javaapi.core.PopulationBuilder> all = new ArrayList<>(warmPhase(prepared, warmSeconds, firstRate));
    all.add(measured);
    return all;
  }

  /** Writes {@link #report} to {@code file}, and {@link #timeline} where the timelineFile property names a file. */
  void write(Path file) {
    try {
      report(file);
      if (System.getProperty("timelineFile") != null) {
        timeline(Path.of(System.getProperty("timelineFile")));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The levels begin {@code afterSeconds} from now (after an uncounted warm phase). */
  void started(double afterSeconds) {
    start = System.nanoTime() + (long) (afterSeconds * 1e9);
  }

  /**
   * A request sent at {@code sentNanos}: its latency is Gatling's own response time (what its
   * report and assertions use: from the request's send to the response's end) when known, else
   * the time from this session's send to now (which also counts the load generator's own
   * scheduling delays on a busy core).
   */
  void record(long sentNanos, int responseMillis, boolean failed, String problem) {
    long latency = responseMillis >= 0 ? responseMillis * 1_000_000L : System.nanoTime() - sentNanos;
    samples.add(new Sample(sentNanos, latency, failed, problem));
  }

  /** What a failed request got: its problem's slug (urn:licensor:problem:SLUG), else its status, else "no-response". */
  private static String problem(io.gatling.javaapi.core.Session session) {
    if (session.contains("problem")) {
      String type = session.getString("problem");
      return type.substring(type.lastIndexOf(':') + 1);
    }
    return session.contains("status") ? "status-" + session.getInt("status") : "no-response";
  }

  /**
   * Per level: requests sent, failed, latency percentiles; sustained when nothing failed and the
   * p99 stayed under the bound (past the maximum, an open model's queue grows for the whole level,
   * so its p99 climbs far over any service time).
   */
  List<Level> summary() {
    List<List<Sample>> byLevel = new ArrayList<>();
    for (int i = 0; i < levels; i++) {
      byLevel.add(new ArrayList<>());
    }
    for (Sample s : samples) {
      double t = (s.sentNanos() - start) / 1e9;
      int k = (int) Math.floor(t / (levelSeconds + rampSeconds));
      if (k >= 0 && k < levels && t - k * (levelSeconds + rampSeconds) < levelSeconds) {
        byLevel.get(k).add(s);
      }
    }
    List<Level> out = new ArrayList<>();
    for (int k = 0; k < levels; k++) {
      List<Sample> in = byLevel.get(k);
      long[] latencies = in.stream().mapToLong(Sample::latencyNanos).sorted().toArray();
      int failed = (int) in.stream().filter(Sample::failed).count();
      double p99 = percentile(latencies, 0.99);
      out.add(new Level(k, startRate + k * step, in.size(), failed, percentile(latencies, 0.50), p99,
          latencies.length == 0 ? 0 : latencies[latencies.length - 1] / 1e6,
          in.size() > 0 && failed == 0 && p99 <= sustainP99Ms, problems(in)));
    }
    return out;
  }

  /** The highest offered rate sustained, with every level below it sustained too; 0 if none. */
  static double maxSustained(List<Level> summary) {
    double max = 0;
    for (Level l : summary) {
      if (!l.sustained()) {
        break;
      }
      max = l.offeredPerSecond();
    }
    return max;
  }

  /** Prints the table and writes {@code capacity.txt} (key=value lines) for load-tests/benchmark.sh. */
  void report(Path file) throws IOException {
    List<Level> summary = summary();
    StringBuilder text = new StringBuilder();
    for (Level l : summary) {
      text.append(String.format(Locale.ROOT,
          "level=%d offered/s=%.0f sent=%d failed=%d p50-ms=%.1f p99-ms=%.1f max-ms=%.1f sustained=%s%s%n",
          l.index(), l.offeredPerSecond(), l.sent(), l.failed(), l.p50Ms(), l.p99Ms(), l.maxMs(), l.sustained(), l.problems()));
    }
    text.append(String.format(Locale.ROOT, "max-sustained-per-second=%.0f%n", maxSustained(summary)));
    // the highest level sustained on its own, even past a level that was not: where transient
    // stalls (not capacity) broke a level, this shows how far the server still kept up
    double highest = summary.stream().filter(Level::sustained).mapToDouble(Level::offeredPerSecond).max().orElse(0);
    text.append(String.format(Locale.ROOT, "highest-level-sustained-per-second=%.0f%n", highest));
    System.out.print(text);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
  }

  /**
   * Per second of the run: requests sent, failed, p50, p99 and max, to see whether a tail is a few
   * stalls (a spike in one second) or queueing throughout; negative seconds are the warm phase.
   * Written when the timelineFile property names a file.
   */
  void timeline(Path file) throws IOException {
    java.util.TreeMap<Long, List<Sample>> bySecond = new java.util.TreeMap<>();
    for (Sample s : samples) {
      bySecond.computeIfAbsent(Math.floorDiv(s.sentNanos() - start, 1_000_000_000L), k -> new ArrayList<>()).add(s);
    }
    StringBuilder text = new StringBuilder();
    bySecond.forEach((second, in) -> {
      long[] latencies = in.stream().mapToLong(Sample::latencyNanos).sorted().toArray();
      text.append(String.format(Locale.ROOT, "second=%d sent=%d failed=%d p50-ms=%.1f p99-ms=%.1f max-ms=%.1f%s%n", second,
          in.size(), in.stream().filter(Sample::failed).count(), percentile(latencies, 0.5), percentile(latencies, 0.99),
          latencies[latencies.length - 1] / 1e6, problems(in)));
    });
    Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
  }

  /** " problems=hsm-busy:12,no-response:3" for the failed samples among {@code in}; "" when none failed. */
  static String problems(List<Sample> in) {
    java.util.Map<String, Long> counts = new java.util.TreeMap<>();
    for (Sample s : in) {
      if (s.failed()) {
        counts.merge(s.problem() == null ? "unknown" : s.problem(), 1L, Long::sum);
      }
    }
    if (counts.isEmpty()) {
      return "";
    }
    java.util.StringJoiner text = new java.util.StringJoiner(",", " problems=", "");
    counts.forEach((slug, n) -> text.add(slug + ":" + n));
    return text.toString();
  }

  private static double percentile(long[] sortedNanos, double p) {
    return nearestRank(sortedNanos, p) / 1e6;
  }

  /** The nearest-rank percentile {@code p} (0..1) of sorted values; 0 for none. */
  static long nearestRank(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
