package io.licensor.http;

import io.licensor.support.Http;
import io.licensor.support.TestNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 25, item 4 (in part): a 405 says which methods the resource takes (Allow), with its problem body. */
@DisplayName("405 with Allow")
class MethodNotAllowedTest {

  static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("a method a resource does not take: 405 method-not-allowed, Allow naming the ones it does")
  void allowNamesTheMethods() {
    Http.Response jwks = node.http.send("DELETE", "/v1/tenants/contoso/jwks.json", null, null);
    assertThat(jwks.status()).isEqualTo(405);
    assertThat(jwks.slug()).isEqualTo("method-not-allowed");
    assertThat(jwks.header("Allow")).contains("GET");

    Http.Response revocation = node.http.send("POST", "/v1/tenants/contoso/documents/doc-1/revocation", null, null);
    assertThat(revocation.status()).isEqualTo(405);
    assertThat(revocation.header("Allow")).contains("DELETE, GET, PUT");

    Http.Response live = node.http.send("PUT", "/health/live", null, null);
    assertThat(live.status()).isEqualTo(405);
    assertThat(live.header("Allow")).contains("GET");
    // an unknown path is still 404, with no Allow
    Http.Response none = node.http.send("PUT", "/v1/nothing-here", null, null);
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.header("Allow")).isEmpty();
  }
}
