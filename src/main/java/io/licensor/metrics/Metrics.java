package io.licensor.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The node's metrics, in one Prometheus registry that Vert.x's own metrics (HTTP server, event
 * bus, pools) also report to. Served at {@code /metrics}. Series (Prometheus names):
 * <ul>
 *   <li>{@code licensor_license_seconds} and {@code licensor_publish_seconds}: histograms by
 *       {@code outcome} ({@code ok} or the problem slug), so rates and latency percentiles by outcome;</li>
 *   <li>{@code licensor_hsm_operation_seconds} by {@code operation} and {@code outcome}: time from
 *       the request to the HSM worker's reply, queueing included; {@code licensor_hsm_queue_depth};</li>
 *   <li>{@code licensor_key_use_total} by {@code kid} and {@code action} (publish, license);</li>
 *   <li>{@code licensor_audit_batch_seconds} (write time), {@code licensor_audit_lag_seconds} (age of
 *       a batch's oldest record when written), {@code licensor_audit_backlog};</li>
 *   <li>the JVM's memory, GC pauses and threads ({@code jvm_*}), and Vert.x's own ({@code vertx_*}).</li>
 * </ul>
 * No label carries a secret; {@code kid} names a tenant, which is why {@code /metrics} needs the
 * operator role unless {@code metrics.public} is set.
 */
public final class Metrics {

  private static final Duration[] LATENCY_SLOS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1)};

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /**
   * The meters of the licensing path by name and tags, so that a license looks its meters up in one
   * map instead of building and registering each again (which took ~7% of a node's CPU under load:
   * docs/performance.md). Meters are never removed from the registry, so the cache holds no stale one.
   */
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final JvmGcMetrics gc =
      new JvmGcMetrics();

  public Metrics() {
    // the JVM's heap, GC pauses and threads: jvm_memory_used_bytes, jvm_gc_pause_seconds, ...
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
  }

  /** Stops listening to the JVM's GC notifications (when the node stops). */
  public void close() {
    gc.close();
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of every series. */
  public String scrape() {
    return registry.scrape();
  }

  public void license(String outcome, long nanos) {
    timer("licensor.license", "Use-license requests", "outcome", outcome).record(nanos, TimeUnit.NANOSECONDS);
  }

  public void publish(String outcome, long nanos) {
    timer("licensor.publish", "Online publishing requests", "outcome", outcome).record(nanos, TimeUnit.NANOSECONDS);
  }

  public void hsm(String operation, String outcome, long nanos) {
    timers.computeIfAbsent("hsm\n" + operation + "\n" + outcome, k -> Timer.builder("licensor.hsm.operation")
            .description("HSM operations, from request to reply (queueing included)")
            .tags("operation", operation, "outcome", outcome).serviceLevelObjectives(LATENCY_SLOS).register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  public void keyUse(String kid, String action) {
    counters.computeIfAbsent(kid + "\n" + action, k -> Counter.builder("licensor.key.use")
        .description("Uses of each key version").tags("kid", kid, "action", action).register(registry)).increment();
  }

  public void auditBatch(int records, long lagMillis, long writeNanos) {
    Timer.builder("licensor.audit.batch").description("Audit batch writes").register(registry)
        .record(writeNanos, TimeUnit.NANOSECONDS);
    Timer.builder("licensor.audit.lag").description("Age of a batch's oldest audit record when it was written")
        .register(registry).record(lagMillis, TimeUnit.MILLISECONDS);
    DistributionSummary.builder("licensor.audit.batch.records").description("Records per audit batch").register(registry)
        .record(records);
  }

  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  /** A counter read from {@code value} (a total kept elsewhere), with one tag. */
  public void counter(String name, String description, String tag, String tagValue, Supplier<Number> value) {
    io.micrometer.core.instrument.FunctionCounter.builder(name, value, v -> v.get().doubleValue()).description(description)
        .tags(tag, tagValue).register(registry);
  }

  private Timer timer(String name, String description, String tag, String value) {
    return timers.computeIfAbsent(name + "\n" + tag + "\n" + value, k -> Timer.builder(name).description(description)
        .tags(tag, value).serviceLevelObjectives(LATENCY_SLOS).publishPercentileHistogram(false).register(registry));
  }
}
