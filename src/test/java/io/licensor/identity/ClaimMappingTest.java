package io.licensor.identity;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 21, item 3: grants name users as tenants' identity providers name them. Tokens shaped as
 * Entra ID, Okta and Keycloak issue them (opaque {@code sub}, the user's name in another claim,
 * groups and admin rights where each provider puts them, Entra's own {@code tid}), each tenant's
 * claim mapping set at creation; all through HTTP, the tokens signed by an independent JOSE library
 * (jose4j).
 */
@DisplayName("Each tenant's claim mapping: Entra-, Okta- and Keycloak-shaped tokens")
class ClaimMappingTest {

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

  static Issuer tenant(String id, JsonObject claims, JsonObject tenantClaim) {
    Issuer idp = Issuer.rsa("https://idp.test/" + id + "/v2.0");
    JsonObject request = TestNode.tenantRequest(id, "EC-P256", idp);
    if (claims != null) {
      request.getJsonObject("identity").put("claims", claims);
    }
    if (tenantClaim != null) {
      request.getJsonObject("identity").put("tenantClaim", tenantClaim);
    }
    Http.Response created = node.http.post("/v1/tenants", node.operatorToken(), request);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    return idp;
  }

  /** A token of {@code idp} with an opaque sub and the given claims. */
  static String token(Issuer idp, JsonObject claims) {
    JsonObject base = new JsonObject(idp.claims(UUID.randomUUID().toString(), List.of()));
    base.remove("roles");
    return idp.sign(base.mergeIn(claims).encode());
  }

  static JsonObject grants(String principal, String group) {
    return new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", principal).put("rights", new JsonArray().add("VIEW")))
        .add(new JsonObject().put("principal", "group:" + group).put("rights", new JsonArray().add("VIEW").add("EDIT"))));
  }

  /** Publishes as {@code publisherToken}, then asks a use license as {@code token}; the answer. */
  static Http.Response license(String tenant, String publisherToken, String publisher, JsonObject policy, String token) {
    Http.Response current = node.http.get("/v1/tenants/" + tenant + "/keys/current", publisherToken);
    assertThat(current.status()).as(current.toString()).isEqualTo(200);
    String pl = RmsClient.publishOffline(current.json(),
        RmsClient.plPayload("doc-" + UUID.randomUUID(), publisher, RmsClient.newContentKey(), policy));
    return node.http.post("/v1/tenants/" + tenant + "/licenses", token, new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))));
  }

  static JsonArray rights(Http.Response license) {
    return license.json().getJsonArray("rights");
  }

  @Test
  @DisplayName("Entra ID: upn names the user, groups are object ids, app role Tenant.Admin makes an admin, and its own tid is bound")
  void entra() {
    String directory = UUID.randomUUID().toString();
    String adminsGroup = UUID.randomUUID().toString();
    Issuer entra = tenant("contoso", new JsonObject().put("principal", "upn").put("groups", "groups")
            .put("admin", new JsonObject().put("claim", "roles").put("value", "Tenant.Admin")),
        new JsonObject().put("name", "tid").put("value", directory));
    String bob = token(entra, new JsonObject().put("upn", "bob@contoso.com").put("tid", directory)
        .put("groups", new JsonArray().add("0b1c-other")));
    String carol = token(entra, new JsonObject().put("upn", "carol@contoso.com").put("tid", directory)
        .put("groups", new JsonArray().add(adminsGroup)));
    String admin = token(entra, new JsonObject().put("upn", "admin@contoso.com").put("tid", directory)
        .put("roles", new JsonArray().add("Tenant.Admin")));

    Http.Response bobs = license("contoso", bob, "alice@contoso.com", grants("bob@contoso.com", adminsGroup), bob);
    assertThat(bobs.status()).as(bobs.toString()).isEqualTo(200);
    assertThat(rights(bobs).getList()).containsExactly("VIEW");
    Http.Response carols = license("contoso", bob, "alice@contoso.com", grants("bob@contoso.com", adminsGroup), carol);
    assertThat(carols.status()).as(carols.toString()).isEqualTo(200);
    assertThat(rights(carols).getList()).contains("EDIT");
    // the tenant admin by app role; bob, whose token has no such role, is not one
    assertThat(node.http.get("/v1/tenants/contoso/audit?limit=1", admin).status()).isEqualTo(200);
    assertThat(node.http.get("/v1/tenants/contoso/audit?limit=1", bob).status()).isEqualTo(403);
    // a "roles: tenant-admin" claim is not this tenant's admin claim
    String pretender = token(entra, new JsonObject().put("upn", "eve@contoso.com").put("tid", directory)
        .put("roles", new JsonArray().add("tenant-admin")));
    assertThat(node.http.get("/v1/tenants/contoso/audit?limit=1", pretender).status()).isEqualTo(403);
    // another directory's token under the same issuer is not this tenant's
    String otherDirectory = token(entra, new JsonObject().put("upn", "bob@contoso.com").put("tid", UUID.randomUUID().toString()));
    assertThat(node.http.get("/v1/tenants/contoso/keys/current", otherDirectory).status()).isEqualTo(403);
    // a token without the principal claim names no user
    Http.Response noUpn = node.http.get("/v1/tenants/contoso/keys/current", token(entra, new JsonObject().put("tid", directory)));
    assertThat(noUpn.status()).isEqualTo(401);
    assertThat(noUpn.json().getString("detail")).contains("'upn'");
  }

  @Test
  @DisplayName("Entra ID without a bound tenant claim: its tid is the directory's, not refused as another tenant's")
  void entraTidWithoutBinding() {
    Issuer entra = tenant("fabrikam", new JsonObject().put("principal", "upn"), null);
    String bob = token(entra, new JsonObject().put("upn", "bob@fabrikam.com").put("tid", UUID.randomUUID().toString()));
    Http.Response r = license("fabrikam", bob, "bob@fabrikam.com", grants("bob@fabrikam.com", "none"), bob);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
  }

  @Test
  @DisplayName("Okta: email names the user, groups by name, membership of licensor-admins makes an admin")
  void okta() {
    Issuer okta = tenant("initech", new JsonObject().put("principal", "email")
        .put("admin", new JsonObject().put("claim", "groups").put("value", "licensor-admins")), null);
    String bob = token(okta, new JsonObject().put("email", "bob@initech.com").put("groups", new JsonArray().add("Everyone")));
    String admin = token(okta, new JsonObject().put("email", "it@initech.com")
        .put("groups", new JsonArray().add("Everyone").add("licensor-admins")));
    Http.Response r = license("initech", bob, "it@initech.com", grants("bob@initech.com", "Finance"), bob);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(rights(r).getList()).containsExactly("VIEW");
    Http.Response group = license("initech", bob, "it@initech.com", grants("nobody@initech.com", "Everyone"), bob);
    assertThat(rights(group).getList()).contains("EDIT");
    assertThat(node.http.get("/v1/tenants/initech/audit?limit=1", admin).status()).isEqualTo(200);
    assertThat(node.http.get("/v1/tenants/initech/audit?limit=1", bob).status()).isEqualTo(403);
    // the opaque sub is not the user's name any more: a grant to it grants nothing
    Http.Response bySub = license("initech", bob, "it@initech.com", grants("00u1abcd", "none"), bob);
    assertThat(bySub.status()).isEqualTo(403);
  }

  @Test
  @DisplayName("Keycloak: preferred_username names the user, realm roles from realm_access.roles, a realm role makes an admin")
  void keycloak() {
    Issuer keycloak = tenant("umbrella", new JsonObject().put("principal", "preferred_username").put("groups", "realm_access.roles")
        .put("admin", new JsonObject().put("claim", "realm_access.roles").put("value", "licensor-admin")), null);
    String bob = token(keycloak, new JsonObject().put("preferred_username", "bob")
        .put("realm_access", new JsonObject().put("roles", new JsonArray().add("offline_access").add("analysts"))));
    String admin = token(keycloak, new JsonObject().put("preferred_username", "root")
        .put("realm_access", new JsonObject().put("roles", new JsonArray().add("licensor-admin"))));
    Http.Response r = license("umbrella", bob, "root", grants("nobody", "analysts"), bob);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(rights(r).getList()).contains("EDIT");
    assertThat(node.http.get("/v1/tenants/umbrella/audit?limit=1", admin).status()).isEqualTo(200);
    assertThat(node.http.get("/v1/tenants/umbrella/audit?limit=1", bob).status()).isEqualTo(403);
  }

  @Test
  @DisplayName("a tenant without claims keeps sub, groups and roles: tenant-admin; the mapping shows in the tenant's view")
  void defaultsAndView() {
    Issuer plain = tenant("plainco", null, null);
    assertThat(node.http.get("/v1/tenants/plainco/audit?limit=1", plain.token("admin@plainco", List.of("tenant-admin"))).status())
        .isEqualTo(200);
    tenant("mapped", new JsonObject().put("principal", "email"), null);
    JsonObject view = node.http.get("/v1/tenants/mapped", node.operatorToken()).json();
    assertThat(view.getJsonObject("identity").getJsonObject("claims").getString("principal")).isEqualTo("email");
    assertThat(view.getJsonObject("identity").getJsonObject("claims").getString("groups")).isEqualTo("groups");
  }

  @Test
  @DisplayName("a malformed mapping is 400 invalid-request and creates nothing")
  void malformed() {
    for (JsonObject claims : List.of(new JsonObject().put("principal", ""), new JsonObject().put("principal", 7),
        new JsonObject().put("admin", new JsonObject().put("claim", "roles")), new JsonObject().put("principle", "email"))) {
      Issuer idp = Issuer.rsa("https://idp.test/bad/" + UUID.randomUUID());
      JsonObject request = TestNode.tenantRequest("badmap", "EC-P256", idp);
      request.getJsonObject("identity").put("claims", claims);
      Http.Response r = node.http.post("/v1/tenants", node.operatorToken(), request);
      assertThat(r.status()).as(claims.encode() + " " + r).isEqualTo(400);
      assertThat(r.slug()).isEqualTo("invalid-request");
      assertThat(node.http.get("/v1/tenants/badmap", node.operatorToken()).status()).isEqualTo(404);
    }
  }
}
