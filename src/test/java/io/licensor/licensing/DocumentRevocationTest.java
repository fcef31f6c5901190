package io.licensor.licensing;

import io.licensor.cli.Cli;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 23, item 2 (in part), over HTTP: a tenant admin revokes one document by content id; its
 * licenses are refused (403 content-revoked) while the tenant's other documents license; un-revoked,
 * it licenses again; users cannot revoke; each change is audited. (Across nodes: ClusterTest.)
 */
@DisplayName("Revoking one document")
class DocumentRevocationTest {

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

  static Http.Response revocation(String method, String tid, String contentId, String token) {
    return node.http.send(method, "/v1/tenants/" + tid + "/documents/" + contentId + "/revocation", token, "{}");
  }

  @Test
  @DisplayName("revoked: its licenses 403 content-revoked, the tenant's other documents license; un-revoked: it licenses again")
  void revokeAndUnrevoke() {
    Issuer idp = node.createTenant("tracked", "EC-P256");
    String secret = Licensing.publishOk(node.http, "tracked", idp, "board-minutes");
    String other = Licensing.publishOk(node.http, "tracked", idp, "lunch-menu");
    assertThat(Licensing.license(node.http, "tracked", idp, secret).status()).isEqualTo(200);
    String admin = idp.token("admin@tracked.test", List.of("tenant-admin"));

    Http.Response revoked = revocation("PUT", "tracked", "board-minutes", admin);
    assertThat(revoked.status()).as(revoked.toString()).isEqualTo(200);
    assertThat(revoked.json().getBoolean("changed")).isTrue();
    assertThat(revoked.json().getJsonObject("propagation").getBoolean("complete")).isTrue();
    Http.Response refused = Licensing.license(node.http, "tracked", idp, secret);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
    assertThat(refused.slug()).isEqualTo("content-revoked");
    assertThat(Licensing.license(node.http, "tracked", idp, other).status()).as("another document").isEqualTo(200);
    assertThat(revocation("PUT", "tracked", "board-minutes", admin).json().getBoolean("changed")).as("again").isFalse();
    assertThat(revocation("GET", "tracked", "board-minutes", admin).json().getBoolean("revoked")).isTrue();

    Http.Response back = revocation("DELETE", "tracked", "board-minutes", admin);
    assertThat(back.status()).isEqualTo(200);
    assertThat(Licensing.license(node.http, "tracked", idp, secret).status()).isEqualTo(200);

    long audited = node.http.get("/v1/tenants/tracked/audit?limit=100", node.operatorToken()).json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getString("action")).filter(a -> a.startsWith("document.")).count();
    assertThat(audited).as("one record per change, none for the repeat").isEqualTo(2);
  }

  @Test
  @DisplayName("a user cannot revoke, another tenant's admin cannot; the CLI revokes and un-revokes")
  void whoMayRevoke() {
    Issuer idp = node.createTenant("guarded-docs", "EC-P256");
    Issuer otherIdp = node.createTenant("nosy", "EC-P256");
    String pl = Licensing.publishOk(node.http, "guarded-docs", idp, "plan");
    assertThat(revocation("PUT", "guarded-docs", "plan", idp.token("bob@guarded-docs.test", List.of())).status()).isEqualTo(403);
    assertThat(revocation("PUT", "guarded-docs", "plan", otherIdp.token("admin@nosy.test", List.of("tenant-admin"))).status())
        .isIn(401, 403);
    assertThat(Licensing.license(node.http, "guarded-docs", idp, pl).status()).isEqualTo(200);

    Cli cli = new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port()).with("LICENSOR_TOKEN", node.operatorToken());
    Cli.Result r = cli.run("document", "revoke", "guarded-docs", "plan");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("document plan of guarded-docs revoked", "every node confirmed");
    assertThat(Licensing.license(node.http, "guarded-docs", idp, pl).slug()).isEqualTo("content-revoked");
    assertThat(cli.run("document", "unrevoke", "guarded-docs", "plan").out()).contains("un-revoked");
    assertThat(Licensing.license(node.http, "guarded-docs", idp, pl).status()).isEqualTo(200);
  }
}
