package io.licensor.security;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The security review's issuer confusion (issue 17, item 2), as its probes ran it over HTTP: two
 * tenants registered with one identity provider (one Keycloak realm, one Okta org), and tenant A's
 * admin exported B's private key, cancelled B, read B's backup and audit. An issuer is now
 * registered once, unless every tenant that shares it binds a tenant claim; a tenant's issuer is
 * never an operator issuer.
 */
@DisplayName("Tenants sharing an identity provider get nothing of each other's")
class SharedIssuerTest {

  static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(new JsonObject().put("keys", new JsonObject().put("refreshSeconds", 1)));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static JsonObject request(String id, Issuer idp, JsonObject tenantClaim) {
    JsonObject body = TestNode.tenantRequest(id, "EC-P256", idp);
    if (tenantClaim != null) {
      body.getJsonObject("identity").put("tenantClaim", tenantClaim);
    }
    return body;
  }

  static JsonObject claim(String name, String value) {
    return new JsonObject().put("name", name).put("value", value);
  }

  /** A token of {@code idp} with extra claims. */
  static String token(Issuer idp, String subject, List<String> roles, JsonObject extra) {
    return idp.sign(new JsonObject(idp.claims(subject, roles)).mergeIn(extra).encode());
  }

  /** What the review's tenant admin of A tried against B; each must be refused with 401 or 403 and change nothing. */
  static void nothingOfTheOther(String other, String token) {
    List<Http.Response> attempts = List.of(
        node.http.post("/v1/tenants/" + other + "/keys/1/export", token, new JsonObject().put("password", "Export-password-1234!")),
        node.http.get("/v1/tenants/" + other + "/backup", token),
        node.http.get("/v1/tenants/" + other + "/audit?limit=5", token),
        node.http.get("/v1/tenants/" + other + "/keys/current", token),
        node.http.post("/v1/tenants/" + other + "/keys/rekey", token, new JsonObject().put("origin", "service").put("algorithm", "EC-P256")),
        node.http.post("/v1/tenants/" + other + "/cancel", token, "{}"));
    for (Http.Response r : attempts) {
      assertThat(r.status()).as(r.toString()).isIn(401, 403);
    }
    assertThat(node.http.get("/v1/tenants/" + other, node.operatorToken()).json().getString("state")).isEqualTo("active");
  }

  @Test
  @DisplayName("a second tenant with an issuer already registered is refused 409 issuer-in-use, and nothing is stored")
  void issuerRegisteredOnce() {
    Issuer shared = Issuer.rsa("https://realm.shared.test/one");
    assertThat(node.http.post("/v1/tenants", node.operatorToken(), request("first-of-one", shared, null)).status()).isEqualTo(201);
    for (JsonObject binding : new JsonObject[] {null, claim("tid", "second-of-one")}) {
      Http.Response second = node.http.post("/v1/tenants", node.operatorToken(), request("second-of-one", shared, binding));
      assertThat(second.status()).as(second.toString()).isEqualTo(409);
      assertThat(second.slug()).isEqualTo("issuer-in-use");
      assertThat(node.http.get("/v1/tenants/second-of-one", node.operatorToken()).status()).isEqualTo(404);
    }
  }

  @Test
  @DisplayName("an operator issuer is never a tenant's issuer")
  void operatorIssuerIsNotATenantIssuer() {
    Http.Response r = node.http.post("/v1/tenants", node.operatorToken(), request("impostor", node.operators, null));
    assertThat(r.status()).as(r.toString()).isEqualTo(400);
    assertThat(r.json().getString("detail")).contains("operator issuer");
    assertThat(node.http.get("/v1/tenants/impostor", node.operatorToken()).status()).isEqualTo(404);
  }

  @Test
  @DisplayName("tenants that bind a tenant claim share an issuer: a token opens only the tenant its claim names")
  void boundTenantsShareAnIssuer() {
    Issuer realm = Issuer.rsa("https://realm.shared.test/two");
    assertThat(node.http.post("/v1/tenants", node.operatorToken(), request("gamma", realm, claim("org", "org-gamma"))).status())
        .isEqualTo(201);
    assertThat(node.http.post("/v1/tenants", node.operatorToken(), request("delta", realm, claim("org", "org-delta"))).status())
        .isEqualTo(201);
    Http.Response sameClaim = node.http.post("/v1/tenants", node.operatorToken(), request("epsilon", realm, claim("org", "org-delta")));
    assertThat(sameClaim.status()).isEqualTo(409);

    String gammaAdmin = token(realm, "admin@gamma.test", List.of("tenant-admin"), new JsonObject().put("org", "org-gamma"));
    assertThat(node.http.get("/v1/tenants/gamma/audit?limit=1", gammaAdmin).status()).isEqualTo(200);
    nothingOfTheOther("delta", gammaAdmin);
    // a token without the claim is no tenant's
    String unbound = realm.token("admin@realm.test", List.of("tenant-admin"));
    nothingOfTheOther("gamma", unbound);
    nothingOfTheOther("delta", unbound);
    assertThat(node.http.get("/v1/tenants/delta/keys/current", unbound).status()).isEqualTo(401);

    // and licensing: gamma's user cannot license delta's content for anyone
    String deltaUser = token(realm, "alice@delta.test", List.of(), new JsonObject().put("org", "org-delta"));
    JsonObject policy = new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW"))));
    String pl = RmsClient.publishOffline(node.http.get("/v1/tenants/delta/keys/current", deltaUser).json(),
        RmsClient.plPayload("delta-doc", "alice@delta.test", RmsClient.newContentKey(), policy));
    String gammaUser = token(realm, "eve@gamma.test", List.of(), new JsonObject().put("org", "org-gamma"));
    JsonObject licenseRequest = new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false)));
    assertThat(node.http.post("/v1/tenants/delta/licenses", gammaUser, licenseRequest).status()).isEqualTo(403);
    assertThat(node.http.post("/v1/tenants/delta/licenses", unbound, licenseRequest).status()).isEqualTo(401);
    assertThat(node.http.post("/v1/tenants/delta/licenses", deltaUser, licenseRequest).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("two tenants that came to share an issuer before registration checked it accept only tokens whose tid names them")
  void earlierSharedRegistrations() throws Exception {
    Issuer realm = Issuer.rsa("https://realm.shared.test/three");
    Issuer other = Issuer.rsa("https://realm.shared.test/elsewhere");
    assertThat(node.http.post("/v1/tenants", node.operatorToken(), request("zeta", realm, null)).status()).isEqualTo(201);
    assertThat(node.http.post("/v1/tenants", node.operatorToken(), request("eta", other, null)).status()).isEqualTo(201);
    // as a database written by an earlier licensor holds it: eta trusts zeta's issuer too
    TestDatabase.execute(node.databaseUrl, "UPDATE tenants SET identity = (SELECT identity FROM tenants WHERE id = 'zeta') "
        + "WHERE id = 'eta'");
    String zetaAdminNoTid = realm.token("admin@zeta.test", List.of("tenant-admin"));
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    Http.Response probe;
    do {
      Thread.sleep(200);
      probe = node.http.get("/v1/tenants/eta/keys/current", realm.token("probe@zeta.test", List.of(), List.of(), 600, "licensor"));
    } while (probe.status() == 403 && System.nanoTime() < deadline);
    nothingOfTheOther("eta", zetaAdminNoTid);
    nothingOfTheOther("zeta", zetaAdminNoTid);
    String etaByTid = token(realm, "admin@eta.test", List.of("tenant-admin"), new JsonObject().put("tid", "eta"));
    nothingOfTheOther("zeta", etaByTid);
    assertThat(node.http.get("/v1/tenants/eta/audit?limit=1", etaByTid).status()).isEqualTo(200);
  }
}
