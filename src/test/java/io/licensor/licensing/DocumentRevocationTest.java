package io.licensor.licensing;

import io.licensor.cli.Cli;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.RmsClient;
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
    // revoked once more after its un-revocation (the row kept, marked again): refused again
    assertThat(revocation("PUT", "tracked", "board-minutes", admin).json().getBoolean("changed")).isTrue();
    assertThat(Licensing.license(node.http, "tracked", idp, secret).slug()).isEqualTo("content-revoked");
    assertThat(revocation("DELETE", "tracked", "board-minutes", admin).status()).isEqualTo(200);

    long audited = node.http.get("/v1/tenants/tracked/audit?limit=100", node.operatorToken()).json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getString("action")).filter(a -> a.startsWith("document.")).count();
    assertThat(audited).as("one record per change, none for the repeat").isEqualTo(4);
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

  @Test
  @DisplayName("its publisher revokes a document by showing its publishing license; another user with the same license cannot")
  void publisherRevokes() {
    Issuer idp = node.createTenant("authored", "EC-P256");
    String pl = Licensing.publishOk(node.http, "authored", idp, "draft"); // published by alice@authored.test
    String alice = idp.token("alice@authored.test", List.of());
    String bob = idp.token("bob@authored.test", List.of());
    String body = new JsonObject().put("publishingLicense", pl).encode();
    String path = "/v1/tenants/authored/documents/draft/revocation";

    Http.Response bare = node.http.send("PUT", path, alice, "{}");
    assertThat(bare.status()).isEqualTo(403);
    assertThat(bare.json().getString("detail")).contains("publishingLicense");
    Http.Response notHers = node.http.send("PUT", path, bob, body);
    assertThat(notHers.status()).as(notHers.toString()).isEqualTo(403);
    Http.Response otherDocument = node.http.send("PUT", "/v1/tenants/authored/documents/something-else/revocation", alice, body);
    assertThat(otherDocument.status()).isEqualTo(403);
    assertThat(Licensing.license(node.http, "authored", idp, pl).status()).as("nothing revoked yet").isEqualTo(200);

    Http.Response hers = node.http.send("PUT", path, alice, body);
    assertThat(hers.status()).as(hers.toString()).isEqualTo(200);
    assertThat(Licensing.license(node.http, "authored", idp, pl).slug()).isEqualTo("content-revoked");
    assertThat(node.http.send("DELETE", path, alice, body).status()).isEqualTo(200);
    assertThat(Licensing.license(node.http, "authored", idp, pl).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("the CLI: its publisher revokes a protected file by the file itself (document revoke --file)")
  void publisherRevokesFromTheCommandLine() throws Exception {
    Issuer idp = node.createTenant("cli-authored", "EC-P256");
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("licensor-doc-");
    java.nio.file.Path plain = java.nio.file.Files.writeString(dir.resolve("memo.txt"), "confidential");
    Cli alice = new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port())
        .with("LICENSOR_TOKEN", idp.token("alice@cli-authored.test", List.of()));
    Cli.Result protectedIt = alice.run("protect", plain.toString(), "--tenant", "cli-authored", "--grant", "alice@cli-authored.test:VIEW");
    assertThat(protectedIt.exitCode()).as(protectedIt.toString()).isZero();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("content ([0-9a-f-]+)\\)").matcher(protectedIt.out());
    assertThat(m.find()).as(protectedIt.out()).isTrue();
    String contentId = m.group(1);
    java.nio.file.Path lprot = dir.resolve("memo.txt.lprot");
    Cli.Result revoked = alice.run("document", "revoke", "cli-authored", contentId, "--file", lprot.toString());
    assertThat(revoked.exitCode()).as(revoked.toString()).isZero();
    Cli.Result open = alice.run("open", lprot.toString());
    assertThat(open.exitCode()).isEqualTo(1);
    assertThat(open.err()).contains("content-revoked");
    assertThat(alice.run("document", "unrevoke", "cli-authored", contentId, "--file", lprot.toString()).exitCode()).isZero();
    assertThat(alice.run("open", lprot.toString()).exitCode()).isZero();
  }

  @Test
  @DisplayName("a document's usage from the audit: published by whom, who was granted or refused and why, on which node")
  void usage() throws Exception {
    Issuer idp = node.createTenant("watched", "EC-P256");
    String admin = idp.token("admin@watched.test", List.of("tenant-admin"));
    // granted to bob only
    JsonObject onlyBob = new JsonObject().put("grants", new io.vertx.core.json.JsonArray().add(new JsonObject()
        .put("principal", "bob@watched.test").put("rights", new io.vertx.core.json.JsonArray().add("VIEW"))));
    Http.Response published = node.http.post("/v1/tenants/watched/publishing-licenses", idp.token("alice@watched.test", List.of()),
        new JsonObject().put("contentId", "q3-plan").put("policy", onlyBob)
            .put("contentKey", RmsClient.b64(RmsClient.newContentKey())));
    assertThat(published.status()).isEqualTo(201);
    String pl = published.json().getString("publishingLicense");
    JsonObject request = new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false)));
    assertThat(node.http.post("/v1/tenants/watched/licenses", idp.token("bob@watched.test", List.of()), request).status())
        .isEqualTo(200);
    assertThat(node.http.post("/v1/tenants/watched/licenses", idp.token("carol@watched.test", List.of()), request).slug())
        .isEqualTo("access-denied");
    assertThat(revocation("PUT", "watched", "q3-plan", admin).status()).isEqualTo(200);
    assertThat(node.http.post("/v1/tenants/watched/licenses", idp.token("bob@watched.test", List.of()), request).slug())
        .isEqualTo("content-revoked");
    Licensing.publishOk(node.http, "watched", idp, "unrelated");
    long deadline = System.currentTimeMillis() + 10_000;
    while (node.node.audit().backlog() > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }

    Http.Response usage = node.http.get("/v1/tenants/watched/documents/q3-plan/usage", admin);
    assertThat(usage.status()).as(usage.toString()).isEqualTo(200);
    io.vertx.core.json.JsonArray events = usage.json().getJsonArray("events");
    List<String> lines = events.stream().map(e -> (JsonObject) e)
        .map(e -> e.getString("action") + " " + e.getString("outcome") + " " + e.getString("principal")).toList();
    assertThat(lines).containsExactly(
        "license.denied content-revoked bob@watched.test",
        "license.denied access-denied carol@watched.test",
        "license.issued ok bob@watched.test",
        "publish.issued ok alice@watched.test");
    assertThat(events.getJsonObject(0).getString("node")).isNotBlank();
    assertThat(events.getJsonObject(0).getBoolean("granted")).isFalse();

    // its publisher reads it with the publishing license; a user without it cannot
    Http.Response asPublisher = node.http.post("/v1/tenants/watched/documents/q3-plan/usage",
        idp.token("alice@watched.test", List.of()), new JsonObject().put("publishingLicense", pl));
    assertThat(asPublisher.status()).as(asPublisher.toString()).isEqualTo(200);
    assertThat(asPublisher.json().getJsonArray("events")).hasSize(4);
    assertThat(node.http.get("/v1/tenants/watched/documents/q3-plan/usage", idp.token("bob@watched.test", List.of())).status())
        .isEqualTo(403);
  }

  @Test
  @DisplayName("its publisher re-publishes a document under the current version: same content id and key, so tracking and revocation follow")
  void republish() throws Exception {
    Issuer idp = node.createTenant("edited", "EC-P256");
    String alice = idp.token("alice@edited.test", List.of());
    String v1 = Licensing.publishOk(node.http, "edited", idp, "spec"); // by alice, everyone may VIEW
    assertThat(Licensing.rekey(node.http, node.operatorToken(), "edited").status()).isEqualTo(201);

    JsonObject onlyBob = new JsonObject().put("grants", new io.vertx.core.json.JsonArray().add(new JsonObject()
        .put("principal", "bob@edited.test").put("rights", new io.vertx.core.json.JsonArray().add("VIEW").add("PRINT"))));
    Http.Response again = node.http.post("/v1/tenants/edited/publishing-licenses/republish", alice,
        new JsonObject().put("publishingLicense", v1).put("policy", onlyBob));
    assertThat(again.status()).as(again.toString()).isEqualTo(201);
    assertThat(again.json().getString("kid")).as("under the current version").isEqualTo("edited:2");
    String v2 = again.json().getString("publishingLicense");

    var recipient = RmsClient.recipientKey(false);
    JsonObject jwks = node.http.get("/v1/tenants/edited/jwks.json", null).json();
    byte[][] keys = new byte[2][];
    String[] pls = {v1, v2};
    for (int i = 0; i < 2; i++) {
      Http.Response r = node.http.post("/v1/tenants/edited/licenses", idp.token("bob@edited.test", List.of()),
          new JsonObject().put("publishingLicense", pls[i]).put("recipientKey", RmsClient.publicJwk(recipient)));
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      var claims = RmsClient.verifyUseLicense(r.json().getString("useLicense"), jwks, "edited");
      assertThat(claims.getStringClaimValue("contentId")).isEqualTo("spec");
      keys[i] = RmsClient.openContentKey(claims.getStringClaimValue("contentKey"), recipient);
      if (i == 1) {
        assertThat(r.json().getJsonArray("rights").getList()).as("the new policy").containsExactlyInAnyOrder("VIEW", "PRINT");
      }
    }
    assertThat(keys[1]).as("the same content key").isEqualTo(keys[0]);

    // not its publisher: refused
    Http.Response notHers = node.http.post("/v1/tenants/edited/publishing-licenses/republish", idp.token("bob@edited.test", List.of()),
        new JsonObject().put("publishingLicense", v1));
    assertThat(notHers.status()).isEqualTo(403);
    // revocation follows the document: both licenses are refused
    assertThat(revocation("PUT", "edited", "spec", idp.token("admin@edited.test", List.of("tenant-admin"))).status()).isEqualTo(200);
    assertThat(Licensing.license(node.http, "edited", idp, v1).slug()).isEqualTo("content-revoked");
    assertThat(Licensing.license(node.http, "edited", idp, v2).slug()).isEqualTo("content-revoked");
  }
}
