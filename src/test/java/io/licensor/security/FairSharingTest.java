package io.licensor.security;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-tenant rate limits through the public API: a tenant over its limit gets 429 rate-limited
 * with Retry-After, on publishing and licensing, and another tenant is not touched by it. (How the
 * HSM is shared between tenants under load is measured by load-tests/fairness.sh.)
 */
class FairSharingTest {

  @Test
  @DisplayName("a tenant over its rate gets 429 with Retry-After; another tenant is served; the limit refills")
  void rateLimitsPerTenant() throws Exception {
    JsonObject limits = new JsonObject().put("limits", new JsonObject().put("tenantRatePerSecond", 2).put("tenantBurst", 4));
    try (TestNode node = TestNode.start(limits)) {
      Http http = node.http;
      Issuer a = node.createTenant("flooder", "EC-P256");
      Issuer b = node.createTenant("quiet", "EC-P256");
      // the publishes spend tokens too: let the bucket fill again first
      String plA = Licensing.publishOk(http, "flooder", a, "doc-a");
      String plB = Licensing.publishOk(http, "quiet", b, "doc-b");
      Thread.sleep(2100);

      List<Http.Response> answers = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        answers.add(Licensing.license(http, "flooder", a, plA));
      }
      long ok = answers.stream().filter(r -> r.status() == 200).count();
      List<Http.Response> limited = answers.stream().filter(r -> r.status() == 429).toList();
      assertThat(ok + limited.size()).as(answers.toString()).isEqualTo(12);
      assertThat(ok).as("the burst, plus what refilled meanwhile").isBetween(4L, 7L);
      for (Http.Response r : limited) {
        assertThat(r.slug()).isEqualTo("rate-limited");
        assertThat(r.header("Content-Type")).contains("application/problem+json");
        assertThat(Integer.parseInt(r.header("Retry-After").orElseThrow())).isBetween(1, 2);
        assertThat(r.json().getString("detail")).contains("2 per second");
      }
      assertThat(Licensing.publish(http, "flooder", a, "doc-a2").status()).isEqualTo(429);

      // the other tenant's bucket is its own
      assertThat(Licensing.license(http, "quiet", b, plB).status()).isEqualTo(200);

      Thread.sleep(1000L * Integer.parseInt(limited.get(limited.size() - 1).header("Retry-After").orElseThrow()) + 100);
      assertThat(Licensing.license(http, "flooder", a, plA).status()).isEqualTo(200);

      // an anonymous caller or a forged token spends nothing of the tenant's limit: it is refused first
      Thread.sleep(2100);
      for (int i = 0; i < 20; i++) {
        assertThat(http.post("/v1/tenants/flooder/licenses", "forged.token.here", new JsonObject()).status()).isEqualTo(401);
      }
      assertThat(Licensing.license(http, "flooder", a, plA).status()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("a cancelled tenant over its rate is told it is cancelled (403), not to retry (429)")
  void stateBeforeRate() throws Exception {
    JsonObject limits = new JsonObject().put("limits", new JsonObject().put("tenantRatePerSecond", 1).put("tenantBurst", 1));
    try (TestNode node = TestNode.start(limits)) {
      Issuer a = node.createTenant("gone", "EC-P256");
      String pl = Licensing.publishOk(node.http, "gone", a, "doc");
      assertThat(node.http.post("/v1/tenants/gone/cancel", node.operatorToken(), "").status()).isEqualTo(200);
      for (int i = 0; i < 6; i++) {
        Http.Response r = Licensing.license(node.http, "gone", a, pl);
        assertThat(r.status()).as(r.toString()).isEqualTo(403);
        assertThat(r.slug()).isEqualTo("subscription-cancelled");
        Http.Response p = Licensing.publish(node.http, "gone", a, "doc-" + i);
        assertThat(p.status()).as(p.toString()).isEqualTo(403);
        assertThat(p.slug()).isEqualTo("subscription-cancelled");
      }
    }
  }
}
