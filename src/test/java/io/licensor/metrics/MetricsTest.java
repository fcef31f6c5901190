package io.licensor.metrics;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /metrics}: the series operators and load tests read, in Prometheus text format. */
@DisplayName("/metrics exposes licensing, HSM, key-use and audit series")
class MetricsTest {

  @Test
  @DisplayName("rates and latencies by outcome, HSM operations and queue depth, per-kid use, audit batches and lag")
  void seriesAfterSomeTraffic() throws Exception {
    try (TestNode node = TestNode.start()) {
      Issuer idp = node.createTenant("metered", "RSA-2048");
      String pl = Licensing.publishOk(node.http, "metered", idp, "doc");
      for (int i = 0; i < 3; i++) {
        assertThat(Licensing.license(node.http, "metered", idp, pl).status()).isEqualTo(200);
      }
      // a PL whose policy grants bob nothing: 403 access-denied
      String alicesOnly = node.http.post("/v1/tenants/metered/publishing-licenses", idp.token("alice@metered.test", List.of()),
          new JsonObject().put("contentId", "alice-only").put("contentKey", RmsClient.b64(
              RmsClient.newContentKey())).put("policy", new JsonObject().put("grants", new JsonArray()
              .add(new JsonObject().put("principal", "alice@metered.test").put("rights", new JsonArray().add("VIEW"))))))
          .json().getString("publishingLicense");
      assertThat(Licensing.license(node.http, "metered", idp, alicesOnly).slug()).isEqualTo("access-denied");
      Thread.sleep(300); // an audit batch is written every 50 ms

      Http.Response anonymous = node.http.get("/metrics", null);
      assertThat(anonymous.status()).isEqualTo(401);
      Http.Response scraped = node.http.get("/metrics", node.operatorToken());
      assertThat(scraped.status()).isEqualTo(200);
      assertThat(scraped.header("Content-Type").orElse("")).startsWith("text/plain");
      String text = scraped.body();
      assertThat(text).contains(
          "licensor_license_seconds_count{outcome=\"ok\"} 3",
          "licensor_license_seconds_count{outcome=\"access-denied\"} 1",
          "licensor_license_seconds_bucket{outcome=\"ok\",le=\"0.025\"}",
          "licensor_publish_seconds_count{outcome=\"ok\"} 2",
          "licensor_key_use_total{action=\"license\",kid=\"metered:1\"} 3.0",
          "licensor_key_use_total{action=\"publish\",kid=\"metered:1\"} 2.0",
          "licensor_hsm_operation_seconds_count{operation=\"sign\",outcome=\"ok\"}",
          "licensor_hsm_operation_seconds_count{operation=\"unwrap-rsa\",outcome=\"ok\"}",
          "licensor_hsm_operation_seconds_count{operation=\"generate\",outcome=\"ok\"} 1",
          "licensor_hsm_queue_depth ",
          "licensor_audit_backlog ",
          "licensor_audit_batch_seconds_count",
          "licensor_audit_lag_seconds_max",
          "vertx_http_server_requests_total",
          "jvm_memory_used_bytes{area=\"heap\"",
          "jvm_gc_max_data_size_bytes");
      assertThat(text).doesNotContain(pl.substring(0, 40));
    }
  }
}
