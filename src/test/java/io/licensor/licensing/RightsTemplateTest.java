package io.licensor.licensing;

import io.licensor.cli.Cli;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 23, items 1 and 4, over HTTP, use licenses read with jose4j (an independent JOSE
 * implementation) from jwks.json alone: rights templates made, changed, archived by tenant admins;
 * content that names one is licensed by what the template says when the license is asked for;
 * the built-in "do not forward"; who may publish with which; offline access from the policy or
 * template, bounded by the tenant's maximum. (Across nodes: ClusterTest.)
 */
@DisplayName("Rights templates and offline access")
class RightsTemplateTest {

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

  static String admin(Issuer idp, String tid) {
    return idp.token("admin@" + tid + ".test", List.of("tenant-admin"));
  }

  static String user(Issuer idp, String name, String tid, String... groups) {
    return idp.token(name + "@" + tid + ".test", List.of(), List.of(groups), 600, "licensor");
  }

  static JsonObject grant(String principal, String... rights) {
    return new JsonObject().put("principal", principal).put("rights", new JsonArray(List.of((Object[]) rights)));
  }

  static Http.Response publish(String tid, String token, String contentId, JsonObject policy) {
    return node.http.post("/v1/tenants/" + tid + "/publishing-licenses", token, new JsonObject().put("contentId", contentId)
        .put("policy", policy).put("contentKey", RmsClient.b64(RmsClient.newContentKey())));
  }

  record Licensed(Http.Response response, JwtClaims claims) {
  }

  /** Asks for a use license as this token's user and, if granted, verifies it offline with jose4j. */
  static Licensed license(String tid, String token, String pl) throws Exception {
    PublicJsonWebKey recipient = RmsClient.recipientKey(false);
    Http.Response r = node.http.post("/v1/tenants/" + tid + "/licenses", token,
        new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(recipient)));
    if (r.status() != 200) {
      return new Licensed(r, null);
    }
    JsonObject jwks = node.http.get("/v1/tenants/" + tid + "/jwks.json", null).json();
    return new Licensed(r, RmsClient.verifyUseLicense(r.json().getString("useLicense"), jwks, tid));
  }

  static List<String> rights(JwtClaims claims) throws Exception {
    return claims.getStringListClaimValue("rights");
  }

  @Test
  @DisplayName("content names a template: its rights, validity and offline access apply; changing the template changes "
      + "what existing content grants")
  void templateRightsResolvedAtLicenseTime() throws Exception {
    Issuer idp = node.createTenant("tpl-legal", "EC-P256");
    Http.Response created = node.http.post("/v1/tenants/tpl-legal/templates", admin(idp, "tpl-legal"), new JsonObject()
        .put("name", "Contoso - Legal").put("description", "Legal's eyes only")
        .put("grants", new JsonArray().add(grant("group:legal", "VIEW", "PRINT")))
        .put("validity", new JsonObject().put("days", 30)).put("offlineAccessSeconds", 3600));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String id = created.json().getString("id");
    assertThat(created.header("ETag")).hasValue("\"r1\"");
    assertThat(created.json().getJsonObject("propagation").getBoolean("complete")).isTrue();

    Http.Response published = publish("tpl-legal", user(idp, "alice", "tpl-legal"), "brief",
        new JsonObject().put("template", id));
    assertThat(published.status()).as(published.toString()).isEqualTo(201);
    String pl = published.json().getString("publishingLicense");

    Licensed lawyer = license("tpl-legal", user(idp, "bob", "tpl-legal", "legal"), pl);
    assertThat(lawyer.response().status()).as(lawyer.response().toString()).isEqualTo(200);
    assertThat(rights(lawyer.claims())).containsExactlyInAnyOrder("PRINT", "VIEW");
    long iat = lawyer.claims().getIssuedAt().getValue();
    assertThat(lawyer.claims().getExpirationTime().getValue() - iat).as("the template's offline access").isEqualTo(3600);
    assertThat(lawyer.claims().getClaimValue("offlineAccessSeconds", Long.class)).isEqualTo(3600L);
    Licensed outsider = license("tpl-legal", user(idp, "carol", "tpl-legal"), pl);
    assertThat(outsider.response().status()).isEqualTo(403);
    assertThat(outsider.response().slug()).isEqualTo("access-denied");

    // the admin widens the template: the document already published now grants carol VIEW too
    String adminToken = admin(idp, "tpl-legal");
    String path = "/v1/tenants/tpl-legal/templates/" + id;
    JsonObject widen = new JsonObject().put("grants", new JsonArray().add(grant("group:legal", "VIEW", "PRINT"))
        .add(grant("*@tpl-legal.test", "VIEW")));
    assertThat(node.http.send("PATCH", path, adminToken, widen.encode()).status()).as("no If-Match").isEqualTo(428);
    Http.Response stale = node.http.send("PATCH", path, adminToken, widen.encode(), Map.of("If-Match", "\"r7\""));
    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.header("ETag")).hasValue("\"r1\"");
    Http.Response changed = node.http.send("PATCH", path, adminToken, widen.encode(), Map.of("If-Match", "\"r1\""));
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
    assertThat(changed.header("ETag")).hasValue("\"r2\"");
    assertThat(changed.json().getString("name")).as("members not named are kept").isEqualTo("Contoso - Legal");
    Licensed now = license("tpl-legal", user(idp, "carol", "tpl-legal"), pl);
    assertThat(now.response().status()).as(now.response().toString()).isEqualTo(200);
    assertThat(rights(now.claims())).containsExactly("VIEW");

    // a template whose validity has passed: its content is no longer licensed
    JsonObject expire = new JsonObject().put("validity", new JsonObject().put("notAfter", 1_000_000_000L));
    assertThat(node.http.send("PATCH", path, adminToken, expire.encode(), Map.of("If-Match", "*")).status()).isEqualTo(200);
    Http.Response expired = license("tpl-legal", user(idp, "bob", "tpl-legal", "legal"), pl).response();
    assertThat(expired.status()).isEqualTo(403);
    assertThat(expired.json().getString("detail")).contains("expired");

    long audited = node.http.get("/v1/tenants/tpl-legal/audit?limit=100", node.operatorToken()).json().getJsonArray("events")
        .stream().map(e -> ((JsonObject) e).getString("action")).filter(a -> a.startsWith("template.")).count();
    assertThat(audited).as("create and two changes; the refused ones changed nothing").isEqualTo(3);
  }

  @Test
  @DisplayName("archived: no new publishing with it (409), its content stays licensable, a PL made offline after it is "
      + "refused; activated again: publishing works")
  void archiving() throws Exception {
    Issuer idp = node.createTenant("tpl-archive", "EC-P256");
    String adminToken = admin(idp, "tpl-archive");
    String id = node.http.post("/v1/tenants/tpl-archive/templates", adminToken, new JsonObject().put("name", "Board")
        .put("grants", new JsonArray().add(grant("*", "VIEW")))).json().getString("id");
    String alice = user(idp, "alice", "tpl-archive");
    String pl = publish("tpl-archive", alice, "minutes", new JsonObject().put("template", id)).json().getString("publishingLicense");

    Http.Response archived = node.http.post("/v1/tenants/tpl-archive/templates/" + id + "/archive", adminToken, "{}");
    assertThat(archived.status()).as(archived.toString()).isEqualTo(200);
    assertThat(archived.json().getString("state")).isEqualTo("archived");
    Http.Response refused = publish("tpl-archive", alice, "minutes-2", new JsonObject().put("template", id));
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.slug()).isEqualTo("template-archived");
    assertThat(license("tpl-archive", user(idp, "bob", "tpl-archive"), pl).response().status())
        .as("content published before the archive").isEqualTo(200);
    Http.Response republished = node.http.post("/v1/tenants/tpl-archive/publishing-licenses/republish", alice,
        new JsonObject().put("publishingLicense", pl));
    assertThat(republished.status()).as("re-publishing under the archived template is new publishing").isEqualTo(409);
    assertThat(republished.slug()).isEqualTo("template-archived");

    JsonObject current = node.http.get("/v1/tenants/tpl-archive/keys/current", alice).json();
    Thread.sleep(1100); // issuedAt is in seconds: after the archive
    String offline = RmsClient.publishOffline(current, RmsClient.plPayload("later", "alice@tpl-archive.test",
        RmsClient.newContentKey(), new JsonObject().put("template", id)));
    Http.Response late = license("tpl-archive", user(idp, "bob", "tpl-archive"), offline).response();
    assertThat(late.status()).as(late.toString()).isEqualTo(403);
    assertThat(late.json().getString("detail")).contains("after it was archived");

    List<String> userSees = names(node.http.get("/v1/tenants/tpl-archive/templates", alice));
    assertThat(userSees).as("users see active templates only").doesNotContain("Board");
    assertThat(names(node.http.get("/v1/tenants/tpl-archive/templates", adminToken))).as("admins see all").contains("Board");

    assertThat(node.http.post("/v1/tenants/tpl-archive/templates/" + id + "/activate", adminToken, "{}").status()).isEqualTo(200);
    assertThat(publish("tpl-archive", alice, "minutes-3", new JsonObject().put("template", id)).status()).isEqualTo(201);
  }

  @Test
  @DisplayName("a publishing license made offline that claims to be from the future cannot stretch its template's validity")
  void futureIssuedAtDoesNotExtendValidity() throws Exception {
    Issuer idp = node.createTenant("tpl-future", "EC-P256");
    String id = node.http.post("/v1/tenants/tpl-future/templates", admin(idp, "tpl-future"), new JsonObject()
        .put("name", "One day").put("grants", new JsonArray().add(grant("*", "VIEW")))
        .put("validity", new JsonObject().put("days", 1))).json().getString("id");
    String alice = user(idp, "alice", "tpl-future");
    JsonObject current = node.http.get("/v1/tenants/tpl-future/keys/current", alice).json();
    JsonObject payload = RmsClient.plPayload("forever", "alice@tpl-future.test", RmsClient.newContentKey(),
        new JsonObject().put("template", id));
    payload.put("issuedAt", System.currentTimeMillis() / 1000 + 10L * 365 * 86_400); // "published" in ten years
    Http.Response stretched = license("tpl-future", user(idp, "bob", "tpl-future"), RmsClient.publishOffline(current, payload))
        .response();
    assertThat(stretched.status()).as(stretched.toString()).isEqualTo(403);
    assertThat(stretched.json().getString("detail")).contains("future");
    // made now, it licenses
    Http.Response honest = license("tpl-future", user(idp, "bob", "tpl-future"), RmsClient.publishOffline(current,
        RmsClient.plPayload("today", "alice@tpl-future.test", RmsClient.newContentKey(), new JsonObject().put("template", id))))
        .response();
    assertThat(honest.status()).as(honest.toString()).isEqualTo(200);
  }

  static List<String> names(Http.Response list) {
    assertThat(list.status()).as(list.toString()).isEqualTo(200);
    return list.json().getJsonArray("templates").stream().map(t -> ((JsonObject) t).getString("name")).toList();
  }

  @Test
  @DisplayName("built-in Do Not Forward: the recipients the publisher names get VIEW and EDIT, never more; it cannot be changed")
  void doNotForward() throws Exception {
    Issuer idp = node.createTenant("tpl-dnf", "EC-P256");
    String alice = user(idp, "alice", "tpl-dnf");
    assertThat(names(node.http.get("/v1/tenants/tpl-dnf/templates", alice))).contains("Do Not Forward");
    Http.Response published = publish("tpl-dnf", alice, "mail-1", new JsonObject().put("template", "do-not-forward")
        .put("grants", new JsonArray().add(grant("bob@tpl-dnf.test", "OWNER"))));
    assertThat(published.status()).as(published.toString()).isEqualTo(201);
    String pl = published.json().getString("publishingLicense");
    Licensed bob = license("tpl-dnf", user(idp, "bob", "tpl-dnf"), pl);
    assertThat(bob.response().status()).isEqualTo(200);
    assertThat(rights(bob.claims())).as("OWNER asked, the template's ceiling given").containsExactlyInAnyOrder("EDIT", "VIEW");
    assertThat(license("tpl-dnf", user(idp, "carol", "tpl-dnf"), pl).response().status()).as("not a recipient").isEqualTo(403);

    Http.Response change = node.http.send("PATCH", "/v1/tenants/tpl-dnf/templates/do-not-forward", admin(idp, "tpl-dnf"),
        new JsonObject().put("recipientRights", new JsonArray().add("FORWARD")).encode(), Map.of("If-Match", "*"));
    assertThat(change.status()).isEqualTo(409);
    assertThat(change.slug()).isEqualTo("template-built-in");
    assertThat(rights(license("tpl-dnf", user(idp, "bob", "tpl-dnf"), pl).claims())).containsExactlyInAnyOrder("EDIT", "VIEW");
  }

  @Test
  @DisplayName("a template for some publishers: others do not see it and cannot publish with it; users cannot make templates")
  void publishers() {
    Issuer idp = node.createTenant("tpl-scoped", "EC-P256");
    String id = node.http.post("/v1/tenants/tpl-scoped/templates", admin(idp, "tpl-scoped"), new JsonObject()
        .put("name", "HR - Confidential").put("grants", new JsonArray().add(grant("group:hr", "VIEW", "EDIT")))
        .put("publishers", new JsonArray().add("group:hr"))).json().getString("id");
    String hr = user(idp, "dana", "tpl-scoped", "hr");
    String alice = user(idp, "alice", "tpl-scoped");
    assertThat(names(node.http.get("/v1/tenants/tpl-scoped/templates", hr))).contains("HR - Confidential");
    assertThat(names(node.http.get("/v1/tenants/tpl-scoped/templates", alice))).doesNotContain("HR - Confidential");
    assertThat(node.http.get("/v1/tenants/tpl-scoped/templates/" + id, alice).status()).isEqualTo(404);
    assertThat(publish("tpl-scoped", alice, "salaries", new JsonObject().put("template", id)).status()).isEqualTo(403);
    assertThat(publish("tpl-scoped", hr, "salaries", new JsonObject().put("template", id)).status()).isEqualTo(201);
    Http.Response byUser = node.http.post("/v1/tenants/tpl-scoped/templates", alice, new JsonObject().put("name", "Mine")
        .put("grants", new JsonArray().add(grant("*", "OWNER"))));
    assertThat(byUser.status()).isEqualTo(403);
  }

  @Test
  @DisplayName("bad templates are refused with the reason and change nothing; names are unique per tenant")
  void badInput() {
    Issuer idp = node.createTenant("tpl-bad", "EC-P256");
    String adminToken = admin(idp, "tpl-bad");
    String base = "/v1/tenants/tpl-bad/templates";
    List<JsonObject> bad = List.of(
        new JsonObject().put("grants", new JsonArray().add(grant("*", "VIEW"))),                        // no name
        new JsonObject().put("name", "No rights"),                                                       // no rights
        new JsonObject().put("name", "Odd").put("grants", new JsonArray().add(grant("*", "DELETE"))),
        new JsonObject().put("name", "Odd").put("recipientRights", new JsonArray().add("VIEW")).put("colour", "red"),
        new JsonObject().put("name", "Odd").put("recipientRights", new JsonArray().add("VIEW")).put("offlineAccessSeconds", -1),
        new JsonObject().put("name", "Odd").put("recipientRights", new JsonArray().add("VIEW"))
            .put("validity", new JsonObject().put("days", 0)));
    for (JsonObject body : bad) {
      Http.Response r = node.http.post(base, adminToken, body);
      assertThat(r.status()).as(body + " -> " + r).isEqualTo(400);
      assertThat(r.json().getString("detail")).isNotBlank();
    }
    assertThat(names(node.http.get(base, adminToken))).containsExactly("Do Not Forward");
    JsonObject ok = new JsonObject().put("name", "Finance").put("recipientRights", new JsonArray().add("VIEW"));
    assertThat(node.http.post(base, adminToken, ok).status()).isEqualTo(201);
    Http.Response twice = node.http.post(base, adminToken, ok.copy().put("name", "FINANCE"));
    assertThat(twice.status()).isEqualTo(409);
    assertThat(twice.slug()).isEqualTo("template-name-taken");
    Http.Response unknown = publish("tpl-bad", user(idp, "alice", "tpl-bad"), "x", new JsonObject().put("template", "nope"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(names(node.http.get(base, adminToken))).containsExactly("Do Not Forward", "Finance");
  }

  @Test
  @DisplayName("offline access: 0 is always online (a license to open it now, nothing to keep); the tenant's maximum bounds "
      + "every policy and template")
  void offlineAccess() throws Exception {
    Issuer idp = node.createTenant("tpl-offline", "EC-P256");
    String alice = user(idp, "alice", "tpl-offline");
    String bob = user(idp, "bob", "tpl-offline");
    JsonObject everyone = new JsonObject().put("grants", new JsonArray().add(grant("*", "VIEW")));
    String online = publish("tpl-offline", alice, "online", everyone.copy().put("offlineAccessSeconds", 0))
        .json().getString("publishingLicense");
    Licensed l = license("tpl-offline", bob, online);
    assertThat(l.response().json().getLong("offlineAccessSeconds")).isZero();
    assertThat(l.claims().getClaimValue("offlineAccessSeconds", Long.class)).isZero();
    assertThat(l.claims().getExpirationTime().getValue() - l.claims().getIssuedAt().getValue())
        .isEqualTo(LicensingService.ONLINE_ONLY_SECONDS);

    String week = publish("tpl-offline", alice, "week", everyone.copy().put("offlineAccessSeconds", 7 * 86_400))
        .json().getString("publishingLicense");
    assertThat(license("tpl-offline", bob, week).claims().getClaimValue("offlineAccessSeconds", Long.class))
        .isEqualTo(7 * 86_400L);

    Http.Response tenant = node.http.get("/v1/tenants/tpl-offline", node.operatorToken());
    Http.Response bounded = node.http.send("PATCH", "/v1/tenants/tpl-offline", admin(idp, "tpl-offline"),
        new JsonObject().put("maxOfflineAccessSeconds", 600).encode(), Map.of("If-Match", tenant.header("ETag").orElseThrow()));
    assertThat(bounded.status()).as(bounded.toString()).isEqualTo(200);
    assertThat(bounded.json().getLong("maxOfflineAccessSeconds")).isEqualTo(600L);
    Licensed capped = license("tpl-offline", bob, week);
    assertThat(capped.claims().getClaimValue("offlineAccessSeconds", Long.class)).as("the tenant's maximum").isEqualTo(600L);
    assertThat(capped.claims().getExpirationTime().getValue() - capped.claims().getIssuedAt().getValue()).isEqualTo(600);

    Http.Response badMax = node.http.send("PATCH", "/v1/tenants/tpl-offline", admin(idp, "tpl-offline"),
        new JsonObject().put("maxOfflineAccessSeconds", "a week").encode(), Map.of("If-Match", "*"));
    assertThat(badMax.status()).isEqualTo(400);
    assertThat(node.http.get("/v1/tenants/tpl-offline", node.operatorToken()).json().getLong("maxOfflineAccessSeconds"))
        .as("unchanged").isEqualTo(600L);
  }

  @Test
  @DisplayName("the CLI: licensor template create, list, show, update, archive, activate")
  void commandLine() throws Exception {
    Issuer idp = node.createTenant("tpl-cli", "EC-P256");
    Cli cli = new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port())
        .with("LICENSOR_TOKEN", admin(idp, "tpl-cli"));
    Cli.Result created = cli.run("template", "create", "tpl-cli", "--name", "Partners - View only",
        "--grant", "*@partner.test:VIEW", "--recipient-rights", "VIEW", "--offline-access", "86400", "--validity-days", "90");
    assertThat(created.exitCode()).as(created.toString()).isZero();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("template ([0-9a-f-]{36})").matcher(created.out());
    assertThat(m.find()).as(created.out()).isTrue();
    String id = m.group(1);
    Cli.Result list = cli.run("template", "list", "tpl-cli");
    assertThat(list.out()).contains(id, "Partners - View only", "active", "do-not-forward");
    Cli.Result renamed = cli.run("template", "update", "tpl-cli", id, "--description", "for partners");
    assertThat(renamed.exitCode()).as(renamed.toString()).isZero();
    assertThat(cli.run("template", "show", "tpl-cli", id).out()).contains("for partners", "86400", "90");
    assertThat(cli.run("template", "archive", "tpl-cli", id).out()).contains("archived");
    assertThat(node.http.get("/v1/tenants/tpl-cli/templates/" + id, admin(idp, "tpl-cli")).json().getString("state"))
        .isEqualTo("archived");
    assertThat(cli.run("template", "activate", "tpl-cli", id).exitCode()).isZero();
    Cli.Result bad = cli.run("template", "create", "tpl-cli", "--name", "x", "--grant", "*:FLY");
    assertThat(bad.exitCode()).isNotZero();
  }
}
