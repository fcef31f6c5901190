package io.licensor.http;

import io.licensor.config.ConfigException;
import io.licensor.config.ConfigLoader;
import io.licensor.support.Http;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 25, items 2 and 4 (in part), over HTTP: a caller's X-Request-Id or W3C traceparent is kept
 * and echoed (and what could forge a log line is not); CORS only for the configured origins, off by
 * default.
 */
@DisplayName("Request ids, trace context and CORS")
class RequestIdAndCorsTest {

  static final String APP = "https://app.contoso.test";
  static TestNode withCors;
  static TestNode plain;

  @BeforeAll
  static void start() {
    withCors = TestNode.start(new JsonObject().put("http", new JsonObject().put("cors", new JsonObject()
        .put("allowedOrigins", APP + ", http://127.0.0.1:3000"))));
    plain = TestNode.start();
  }

  @AfterAll
  static void stop() {
    for (TestNode n : new TestNode[] {withCors, plain}) {
      if (n != null) {
        n.close();
      }
    }
  }

  static Http.Response get(TestNode node, String path, Map<String, String> headers) {
    return node.http.send("GET", path, null, null, headers);
  }

  @Test
  @DisplayName("X-Request-Id: a plain caller id is kept, in the header and the problem body; one that is not is replaced, never echoed")
  void callerRequestId() {
    Http.Response kept = get(plain, "/v1/tenants/nobody/jwks.json", Map.of("X-Request-Id", "checkout-42.a_b"));
    assertThat(kept.status()).isEqualTo(404);
    assertThat(kept.header("X-Request-Id")).contains("checkout-42.a_b");
    assertThat(kept.json().getString("requestId")).isEqualTo("checkout-42.a_b");

    for (String bad : new String[] {"<script>", "x".repeat(65), "a b", "id\u00e9"}) {
      Http.Response replaced = get(plain, "/v1/tenants/nobody/jwks.json", Map.of("X-Request-Id", bad));
      assertThat(replaced.header("X-Request-Id")).get().asString().matches("[0-9a-f]{16}");
      assertThat(replaced.body()).doesNotContain(bad);
    }
    Http.Response fresh = get(plain, "/health/live", Map.of());
    assertThat(fresh.header("X-Request-Id")).get().asString().matches("[0-9a-f]{16}");
  }

  @Test
  @DisplayName("traceparent: a valid one is echoed and its trace id is the request id; a malformed one is ignored")
  void traceContext() {
    String tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    Http.Response traced = get(plain, "/v1/tenants/nobody/jwks.json", Map.of("traceparent", tp));
    assertThat(traced.header("traceparent")).contains(tp);
    assertThat(traced.header("X-Request-Id")).contains("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(traced.json().getString("requestId")).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    // an explicit request id wins; the trace context is still echoed
    Http.Response both = get(plain, "/health/live", Map.of("traceparent", tp, "X-Request-Id", "mine"));
    assertThat(both.header("X-Request-Id")).contains("mine");
    assertThat(both.header("traceparent")).contains(tp);
    for (String bad : new String[] {"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "garbage"}) {
      Http.Response ignored = get(plain, "/health/live", Map.of("traceparent", bad));
      assertThat(ignored.header("traceparent")).as(bad).isEmpty();
      assertThat(ignored.header("X-Request-Id")).get().asString().matches("[0-9a-f]{16}");
    }
  }

  @Test
  @DisplayName("CORS: a preflight from a configured origin is allowed with the client's headers exposed; another origin, or a node without the setting, gets no CORS headers")
  void cors() {
    Map<String, String> preflight = Map.of("Origin", APP, "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "authorization,content-type");
    Http.Response allowed = withCors.http.send("OPTIONS", "/v1/tenants/contoso/licenses", null, null, preflight);
    assertThat(allowed.status()).as(allowed.toString()).isBetween(200, 204);
    assertThat(allowed.header("Access-Control-Allow-Origin")).contains(APP);
    assertThat(allowed.header("Access-Control-Allow-Methods")).get().asString().contains("POST");
    assertThat(allowed.header("Access-Control-Allow-Headers")).get().asString().containsIgnoringCase("authorization");

    Http.Response actual = get(withCors, "/v1/tenants/nobody/jwks.json", Map.of("Origin", APP));
    assertThat(actual.header("Access-Control-Allow-Origin")).contains(APP);
    assertThat(actual.header("Access-Control-Expose-Headers")).get().asString()
        .contains("Retry-After").contains("Licensor-Current-Kid").contains("ETag");
    assertThat(actual.header("Access-Control-Allow-Credentials")).isEmpty();

    Map<String, String> evil = Map.of("Origin", "https://evil.test", "Access-Control-Request-Method", "POST");
    Http.Response refused = withCors.http.send("OPTIONS", "/v1/tenants/contoso/licenses", null, null, evil);
    assertThat(refused.header("Access-Control-Allow-Origin")).isEmpty();
    assertThat(get(withCors, "/v1/tenants/nobody/jwks.json", Map.of("Origin", "https://evil.test"))
        .header("Access-Control-Allow-Origin")).isEmpty();

    Http.Response off = plain.http.send("OPTIONS", "/v1/tenants/contoso/licenses", null, null, preflight);
    assertThat(off.header("Access-Control-Allow-Origin")).as("CORS is off by default").isEmpty();
    assertThat(get(plain, "/v1/tenants/nobody/jwks.json", Map.of("Origin", APP)).header("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  @DisplayName("a CORS origin that is not scheme://host[:port] (a wildcard, a path) is refused at start, naming the setting")
  void badOrigins() {
    for (String bad : new String[] {"*", "https://*.contoso.com", "https://app.contoso.com/path", "app.contoso.com"}) {
      assertThatThrownBy(() -> ConfigLoader.load(new JsonObject().put("http", new JsonObject().put("cors",
          new JsonObject().put("allowedOrigins", bad))), Map.of()))
          .as(bad).isInstanceOf(ConfigException.class).hasMessageContaining("http.cors.allowedOrigins");
    }
  }
}
