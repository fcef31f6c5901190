package io.licensor.metrics;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.NodeJs;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25, item 2 (in part): the node's /metrics, after real traffic, passes Prometheus's own
 * linter ({@code promtool check metrics}, Debian's prometheus package), and every series the Grafana
 * dashboard in the repository (conf/grafana/licensor-dashboard.json) queries is one the node serves.
 */
@DisplayName("Prometheus metrics and the Grafana dashboard")
class MetricsLintTest {

  static final Path DASHBOARD = Path.of("conf", "grafana", "licensor-dashboard.json");
  static TestNode node;
  static String scrape;

  @BeforeAll
  static void start() throws InterruptedException {
    node = TestNode.start();
    Issuer idp = node.createTenant("metrics", "RSA-2048");
    String pl = Licensing.publishOk(node.http, "metrics", idp, "doc-1");
    for (int i = 0; i < 3; i++) {
      assertThat(Licensing.license(node.http, "metrics", idp, pl).status()).isEqualTo(200);
    }
    assertThat(node.http.get("/v1/tenants/nobody/jwks.json", null).status()).isEqualTo(404);
    long deadline = System.currentTimeMillis() + 10_000;
    while (node.node.audit().backlog() > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    // jvm_gc_pause_seconds appears after the first collection: an idle test JVM may not have had one yet
    // (the JVM reports it asynchronously), so make one and scrape until it shows
    System.gc();
    deadline = System.currentTimeMillis() + 10_000;
    do {
      Http.Response metrics = node.http.get("/metrics", node.operatorToken());
      assertThat(metrics.status()).isEqualTo(200);
      scrape = metrics.body();
    } while (!scrape.contains("jvm_gc_pause_seconds_sum") && System.currentTimeMillis() < deadline && sleep());
  }

  static boolean sleep() throws InterruptedException {
    Thread.sleep(100);
    return true;
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("promtool check metrics finds no problem in the node's metrics")
  void promtoolLintsClean() throws Exception {
    String promtool = NodeJs.which("promtool");
    if (promtool == null) {
      if ("true".equals(System.getenv("LICENSOR_REQUIRE_PROMTOOL"))) {
        throw new IllegalStateException("LICENSOR_REQUIRE_PROMTOOL=true, but there is no promtool on the PATH");
      }
      Assumptions.abort("no promtool on the PATH (Debian's prometheus package)");
    }
    Path in = Files.createTempFile("licensor-metrics-", ".txt");
    Files.writeString(in, scrape);
    Path out = Files.createTempFile("licensor-promtool-", ".txt");
    Process p = new ProcessBuilder(promtool, "check", "metrics").redirectInput(in.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String said = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(scrape).contains("licensor_license_seconds_bucket").contains("licensor_key_use_total");
    assertThat(said).as("promtool check metrics").isEmpty();
    assertThat(p.exitValue()).isZero();
  }

  @Test
  @DisplayName("every series the Grafana dashboard queries is served by the node")
  void dashboardQueriesServedSeries() throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
    Set<String> queried = new TreeSet<>();
    Matcher m = Pattern.compile("\\b((?:licensor|vertx|jvm|process)_[a-z0-9_]+)").matcher(dashboard.encode());
    while (m.find()) {
      queried.add(m.group(1));
    }
    assertThat(queried).hasSizeGreaterThan(8);
    Set<String> served = scrape.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
        .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
    assertThat(served).as("series the node serves").containsAll(queried);
    assertThat(dashboard.getJsonArray("panels")).allSatisfy(panel ->
        assertThat(((JsonObject) panel).getJsonArray("targets")).isNotEmpty());
  }
}
