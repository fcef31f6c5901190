package io.licensor.licensing;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 23, item 3, over HTTP: a tenant's super-user group (off by default; {@code
 * identity.claims.superUsers}) makes its members OWNER of all the tenant's content, for e-discovery;
 * each such license is audited as such (outcome {@code super-user}) and listed for the tenant's admins.
 */
@DisplayName("Super users")
class SuperUserTest {

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
  @DisplayName("off by default; once the group is named, its member is OWNER of a document granted to someone else, audited and listed")
  void superUserGetsOwner() throws Exception {
    Issuer idp = node.createTenant("discovery", "EC-P256");
    JsonObject onlyBob = new JsonObject().put("grants", new JsonArray().add(new JsonObject()
        .put("principal", "bob@discovery.test").put("rights", new JsonArray().add("VIEW"))));
    Http.Response published = node.http.post("/v1/tenants/discovery/publishing-licenses", idp.token("alice@discovery.test", List.of()),
        new JsonObject().put("contentId", "privileged").put("policy", onlyBob)
            .put("contentKey", RmsClient.b64(RmsClient.newContentKey())));
    String pl = published.json().getString("publishingLicense");
    String investigator = idp.token("eve@discovery.test", List.of(), List.of("ediscovery"), 600, "licensor");
    JsonObject request = new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false)));

    JsonObject tenant = node.http.get("/v1/tenants/discovery", node.operatorToken()).json();
    assertThat(tenant.getJsonObject("identity").containsKey("claims")).as("no super users by default").isFalse();
    assertThat(node.http.post("/v1/tenants/discovery/licenses", investigator, request).slug()).isEqualTo("access-denied");

    JsonObject identity = tenant.getJsonObject("identity").copy().put("claims", new JsonObject().put("superUsers", "ediscovery"));
    String tag = node.http.get("/v1/tenants/discovery", node.operatorToken()).header("ETag").orElseThrow();
    Http.Response changed = node.http.send("PATCH", "/v1/tenants/discovery", node.operatorToken(),
        new JsonObject().put("identity", identity).encode(), Map.of("If-Match", tag));
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);

    Http.Response licensed = node.http.post("/v1/tenants/discovery/licenses", investigator, request);
    assertThat(licensed.status()).as(licensed.toString()).isEqualTo(200);
    assertThat(licensed.json().getJsonArray("rights").getList()).contains("OWNER", "VIEW", "EXPORT");
    // bob's own license is as the policy says
    assertThat(Licensing.license(node.http, "discovery", idp, pl).json().getJsonArray("rights").getList()).containsExactly("VIEW");

    long deadline = System.currentTimeMillis() + 10_000;
    while (node.node.audit().backlog() > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    String admin = idp.token("admin@discovery.test", List.of("tenant-admin"));
    Http.Response listed = node.http.get("/v1/tenants/discovery/super-user-licenses", admin);
    assertThat(listed.status()).as(listed.toString()).isEqualTo(200);
    JsonArray licenses = listed.json().getJsonArray("licenses");
    assertThat(licenses).hasSize(1);
    assertThat(licenses.getJsonObject(0).getString("principal")).isEqualTo("eve@discovery.test");
    assertThat(licenses.getJsonObject(0).getString("contentId")).isEqualTo("privileged");
    assertThat(node.http.get("/v1/tenants/discovery/documents/privileged/usage", admin).body()).contains("super-user");
    io.licensor.cli.Cli.Result cli = new io.licensor.cli.Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port())
        .with("LICENSOR_TOKEN", admin).run("document", "super-user-licenses", "discovery");
    assertThat(cli.exitCode()).as(cli.toString()).isZero();
    assertThat(cli.out()).contains("eve@discovery.test", "privileged");
    assertThat(node.http.get("/v1/tenants/discovery/super-user-licenses", idp.token("bob@discovery.test", List.of())).status())
        .isEqualTo(403);
    // and a token merely claiming the role, not in the group, is not a super user
    String pretender = idp.token("mallory@discovery.test", List.of("superuser", "ediscovery"));
    assertThat(node.http.post("/v1/tenants/discovery/licenses", pretender, request).slug()).isEqualTo("access-denied");
  }
}
