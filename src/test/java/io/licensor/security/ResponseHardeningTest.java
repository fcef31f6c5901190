package io.licensor.security;

import io.licensor.support.OpenSslClient;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.licensor.support.Trust;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review's item 14, against the embedded default's HTTPS: HSTS, nosniff and no-store on the API's
 * answers, and no TLS renegotiation started by a client (each costs the server a full handshake).
 */
@DisplayName("HTTPS answers carry HSTS, nosniff and no-store, and a client cannot renegotiate")
class ResponseHardeningTest {

  static TestNode node;
  static HttpClient client;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(new JsonObject().put("http", new JsonObject().put("plaintext", false)));
    client = Trust.trusting(node.dataDir.resolve("tls/cert.pem"));
    base = "https://localhost:" + node.node.port();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("tenant, key, audit, backup and license answers: HSTS, nosniff, Cache-Control no-store; the public keys keep their max-age")
  void headers() throws Exception {
    String op = node.operatorToken();
    Issuer idp = Issuer.ec("https://idp.test/headers");
    assertThat(send("POST", "/v1/tenants", op, TestNode.tenantRequest("headers", "EC-P256", idp).encode()).statusCode()).isEqualTo(201);
    String user = idp.token("bob@headers.test", List.of());
    HttpResponse<String> current = send("GET", "/v1/tenants/headers/keys/current", user, null);
    String pl = RmsClient.publishOffline(new JsonObject(current.body()),
        RmsClient.plPayload("h", "alice@headers.test", RmsClient.newContentKey(), Licensing.EVERYONE_VIEWS));
    List<HttpResponse<String>> sensitive = List.of(
        send("GET", "/v1/tenants/headers", op, null),
        send("GET", "/v1/tenants/headers/audit", op, null),
        send("GET", "/v1/tenants/headers/backup", op, null),
        send("POST", "/v1/tenants/headers/licenses", user, new JsonObject().put("publishingLicense", pl)
            .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))).encode()),
        send("GET", "/v1/tenants/nobody", op, null));
    for (HttpResponse<String> r : sensitive) {
      assertThat(r.headers().firstValue("Strict-Transport-Security")).as(r.uri().toString()).hasValueSatisfying(v -> assertThat(v).contains("max-age="));
      assertThat(r.headers().firstValue("X-Content-Type-Options")).as(r.uri().toString()).contains("nosniff");
      assertThat(r.headers().firstValue("Cache-Control")).as(r.uri().toString()).contains("no-store");
    }
    assertThat(current.headers().firstValue("Cache-Control").orElseThrow()).startsWith("max-age=");
    assertThat(send("GET", "/v1/tenants/headers/jwks.json", null, null).headers().firstValue("Cache-Control").orElseThrow())
        .contains("max-age=");
  }

  @Test
  @DisplayName("a TLS 1.2 client's renegotiation is refused (openssl s_client 'R'); the connection serves nothing after it")
  void noClientRenegotiation() throws Exception {
    String out = OpenSslClient.renegotiateThenRequest(node.node.port());
    assertThat(out).contains("RENEGOTIATING");
    assertThat(out).as(out).doesNotContain("HTTP/1.1 200");
  }
}
