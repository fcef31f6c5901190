package io.licensor.http;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Http;
import io.licensor.support.NodeProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25, item 2 (in part): a node started with {@code log.format} json and {@code http.accessLog}
 * writes one JSON object per line with a timestamp, and one access record per request carrying the
 * caller's request id — and never the bearer token.
 */
@DisplayName("JSON logs and the access log")
class JsonLogTest {

  static ClusterFixture cluster;
  static NodeProcess node;

  @BeforeAll
  static void start() {
    cluster = new ClusterFixture();
    int[] hz = ClusterFixture.freePorts(1);
    int[] http = ClusterFixture.freePorts(1);
    JsonObject settings = cluster.settings("a", cluster.dataDir("a"), http[0], cluster.clusterName, hz[0],
        ClusterFixture.members(hz), 30);
    settings.put("log", new JsonObject().put("format", "json"));
    settings.getJsonObject("http").put("accessLog", true);
    node = new NodeProcess("json-log", settings, cluster.operators).start();
    node.awaitReady(Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
  }

  @Test
  @DisplayName("every log line is a JSON object with a timestamp; a request's access record has its request id, method, path and status, and no token")
  void jsonLinesWithRequestIds() throws Exception {
    String token = cluster.operators.token("ops@licensor.test", List.of("operator"));
    Http.Response answer = node.http.send("GET", "/v1/cluster", token, null, Map.of("X-Request-Id", "trace-me-1"));
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    assertThat(node.http.send("GET", "/v1/tenants/nobody/jwks.json", null, null, Map.of("X-Request-Id", "trace-me-2")).status())
        .isEqualTo(404);

    JsonObject access = null;
    long deadline = System.nanoTime() + 10_000_000_000L;
    List<String> notJson = new ArrayList<>();
    String text = "";
    while (access == null && System.nanoTime() < deadline) {
      text = Files.readString(node.log());
      notJson.clear();
      for (String line : text.lines().toList()) {
        if (line.isBlank() || line.startsWith("=== start")) {
          continue;
        }
        JsonObject record;
        try {
          record = new JsonObject(line);
        } catch (RuntimeException e) {
          notJson.add(line);
          continue;
        }
        assertThat(record.getLong("timestamp")).as(line).isNotNull();
        assertThat(record.getString("level")).as(line).isNotBlank();
        if ("licensor.access".equals(record.getString("loggerName")) && line.contains("trace-me-2")) {
          access = record;
        }
      }
      if (access == null) {
        Thread.sleep(100);
      }
    }
    assertThat(notJson).as("lines that are not JSON").isEmpty();
    assertThat(access).as("an access record for trace-me-2 in\n%s", text).isNotNull();
    Map<String, Object> kv = new java.util.HashMap<>();
    JsonArray pairs = access.getJsonArray("kvpList", new JsonArray());
    for (Object p : pairs) {
      kv.putAll(((JsonObject) p).getMap());
    }
    assertThat(kv).containsEntry("requestId", "trace-me-2").containsEntry("method", "GET")
        .containsEntry("path", "/v1/tenants/nobody/jwks.json");
    assertThat(String.valueOf(kv.get("status"))).isEqualTo("404");
    assertThat(text).contains("trace-me-1").doesNotContain(token).doesNotContain(token.substring(token.lastIndexOf('.') + 1));
  }
}
