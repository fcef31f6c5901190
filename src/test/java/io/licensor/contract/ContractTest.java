package io.licensor.contract;

import io.licensor.support.Contract;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25, item 4: the OpenAPI document against the node's own answers. Every response the suite
 * gets through support/Http is validated against the document (support/Contract); these tests show
 * that the check bites (a response altered in the ways the review found the document lacking is a
 * violation), and that every operation the document names is one the node routes.
 */
@DisplayName("The OpenAPI document and the node's real responses")
class ContractTest {

  static TestNode node;
  static Issuer idp;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    idp = node.createTenant("contract", "RSA-2048");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static String check(String method, String path, Http.Response r) {
    return Contract.get().violation(method, URI.create(node.http.base() + path), r.status(), r.headers(), r.body());
  }

  static HttpHeaders without(HttpHeaders headers, String name) {
    return HttpHeaders.of(headers.map(), (k, v) -> !k.equalsIgnoreCase(name));
  }

  @Test
  @DisplayName("a real tenant read keeps to the document; with a field the document does not name, it does not")
  void undocumentedFieldIsAViolation() {
    Http.Response r = node.http.get("/v1/tenants/contract", node.operatorToken());
    assertThat(r.status()).isEqualTo(200);
    assertThat(check("GET", "/v1/tenants/contract", r)).isNull();
    String altered = r.json().put("secretSauce", "x").encode();
    assertThat(check("GET", "/v1/tenants/contract", new Http.Response(200, r.headers(), altered)))
        .contains("getTenant").contains("secretSauce");
    String keyAltered = r.json().copy().encode().replace("\"exportable\":true", "\"exportable\":\"yes\"");
    assertThat(keyAltered).isNotEqualTo(r.body());
    assertThat(check("GET", "/v1/tenants/contract", new Http.Response(200, r.headers(), keyAltered))).contains("getTenant");
  }

  @Test
  @DisplayName("a lifecycle answer without Licensor-Propagation, or a read without its ETag, is a violation")
  void requiredHeadersAreChecked() {
    Http.Response cancelled = node.http.post("/v1/tenants/contract/cancel", node.operatorToken(), "{}");
    assertThat(cancelled.status()).isEqualTo(200);
    assertThat(cancelled.header("Licensor-Propagation")).isPresent();
    assertThat(check("POST", "/v1/tenants/contract/cancel", cancelled)).isNull();
    assertThat(check("POST", "/v1/tenants/contract/cancel",
        new Http.Response(200, without(cancelled.headers(), "Licensor-Propagation"), cancelled.body())))
        .containsIgnoringCase("licensor-propagation");
    Http.Response back = node.http.post("/v1/tenants/contract/reactivate", node.operatorToken(), "{}");
    assertThat(back.status()).isEqualTo(200);
    Http.Response read = node.http.get("/v1/tenants/contract", node.operatorToken());
    assertThat(check("GET", "/v1/tenants/contract", new Http.Response(200, without(read.headers(), "ETag"), read.body())))
        .containsIgnoringCase("etag");
  }

  @Test
  @DisplayName("a status the operation does not declare, and a 503 without Retry-After, are violations")
  void undeclaredStatusIsAViolation() {
    Http.Response r = node.http.get("/v1/tenants/contract/jwks.json", null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(check("GET", "/v1/tenants/contract/jwks.json", new Http.Response(418, r.headers(), r.body())))
        .contains("418");
    Map<String, List<String>> problem = Map.of("Content-Type", List.of("application/problem+json"));
    String body = new JsonObject().put("type", "urn:licensor:problem:hsm-busy").put("title", "The HSM is busy")
        .put("status", 503).put("detail", "busy").put("requestId", "r1").encode();
    assertThat(check("POST", "/v1/tenants/contract/licenses",
        new Http.Response(503, HttpHeaders.of(problem, (k, v) -> true), body))).containsIgnoringCase("retry-after");
  }

  @Test
  @DisplayName("every operation in the document is routed by the node (no 405, no route-level 404)")
  void everyDocumentedOperationIsRouted() {
    JsonObject paths = Contract.document().getJsonObject("paths");
    List<String> unrouted = new ArrayList<>();
    int operations = 0;
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        if (!List.of("get", "post", "put", "patch", "delete").contains(method)) {
          continue;
        }
        operations++;
        String concrete = path.replace("{tid}", "contract").replace("{version}", "1").replace("{id}", "inc-0000000000000000")
            .replace("{contentId}", "doc-1");
        Http.Response r = node.http.send(method.toUpperCase(), concrete, null,
            method.equals("get") || method.equals("delete") ? null : "{}");
        boolean routeMissing = r.status() == 405
            || r.status() == 404 && r.body() != null && r.body().contains("urn:licensor:problem:not-found\"");
        if (routeMissing) {
          unrouted.add(method.toUpperCase() + " " + path + " -> " + r.status());
        }
      }
    }
    assertThat(operations).isGreaterThanOrEqualTo(40);
    assertThat(unrouted).as("operations in the document the node does not route").isEmpty();
  }
}
