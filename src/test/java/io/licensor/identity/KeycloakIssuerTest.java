package io.licensor.identity;

import com.nimbusds.jwt.SignedJWT;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Keycloak;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 21, item 5: a tenant whose users sign in to a real Keycloak (its distribution, on loopback
 * over HTTPS), found by discovery, with Keycloak's own token shapes: users named by {@code email},
 * groups and the admin role in {@code realm_access.roles}. The realm gets a new signing key while
 * users license (Keycloak's key rotation: a new key provider of higher priority); no request fails
 * and licensor is not restarted.
 */
@DisplayName("A tenant on a real Keycloak: discovery, its token shapes, its key rotation")
class KeycloakIssuerTest {

  static Keycloak keycloak;
  static TestNode node;
  static final String PASSWORD = "pw-" + UUID.randomUUID();

  @BeforeAll
  static void start() throws Exception {
    keycloak = Keycloak.start();
    HttpResponse<String> realm = keycloak.admin("POST", "", realm());
    assertThat(realm.statusCode()).as(realm.body()).isEqualTo(201);
    node = TestNode.start(new JsonObject().put("identity", new JsonObject().put("remoteKeys", new JsonObject()
        .put("allowedNetworks", new JsonArray().add("127.0.0.1/32"))
        .put("trustFile", keycloak.certificate.toString()))));
    JsonObject request = TestNode.tenantRequest("contoso", "RSA-2048", Issuer.rsa("https://unused.test"));
    request.put("identity", new JsonObject().put("issuer", keycloak.issuer("contoso")).put("discovery", true)
        .put("claims", new JsonObject().put("principal", "email").put("groups", "realm_access.roles")
            .put("admin", new JsonObject().put("claim", "realm_access.roles").put("value", "rms-admin"))));
    Http.Response created = node.http.post("/v1/tenants", node.operatorToken(), request);
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (keycloak != null) {
      keycloak.close();
    }
  }

  /** The realm: a public client whose access tokens are for licensor, a reader, an admin, a role. */
  static JsonObject realm() {
    return new JsonObject()
        .put("realm", "contoso").put("enabled", true)
        .put("roles", new JsonObject().put("realm", new JsonArray()
            .add(new JsonObject().put("name", "rms-admin")).add(new JsonObject().put("name", "finance"))))
        .put("clients", new JsonArray().add(new JsonObject()
            .put("clientId", "rms-app").put("publicClient", true).put("directAccessGrantsEnabled", true)
            .put("standardFlowEnabled", false)
            .put("protocolMappers", new JsonArray().add(new JsonObject()
                .put("name", "licensor-audience").put("protocol", "openid-connect").put("protocolMapper", "oidc-audience-mapper")
                .put("config", new JsonObject().put("included.custom.audience", "licensor")
                    .put("access.token.claim", "true").put("id.token.claim", "false"))))))
        .put("users", new JsonArray()
            .add(user("bob", "bob@contoso.com", List.of("finance")))
            .add(user("carol", "carol@contoso.com", List.of("rms-admin"))));
  }

  static JsonObject user(String name, String email, List<String> roles) {
    return new JsonObject().put("username", name).put("email", email).put("emailVerified", true).put("enabled", true)
        .put("firstName", name).put("lastName", "Contoso").put("realmRoles", new JsonArray(roles))
        .put("credentials", new JsonArray().add(new JsonObject().put("type", "password").put("value", PASSWORD)
            .put("temporary", false)));
  }

  static String token(String user) {
    return keycloak.userToken("contoso", "rms-app", user, PASSWORD);
  }

  /** Publishes as {@code token}'s user for {@code policy}, then asks for a license with {@code licensee}'s token. */
  static int publishThenLicense(String publisher, JsonObject policy, String licensee) {
    Http.Response current = node.http.get("/v1/tenants/contoso/keys/current", publisher);
    if (current.status() != 200) {
      return current.status();
    }
    String pl = RmsClient.publishOffline(current.json(),
        RmsClient.plPayload("doc-" + UUID.randomUUID(), "bob@contoso.com", RmsClient.newContentKey(), policy));
    return node.http.post("/v1/tenants/contoso/licenses", licensee, new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false)))).status();
  }

  static JsonObject grant(String principal) {
    return new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", principal).put("rights", new JsonArray().add("VIEW"))));
  }

  @Test
  @DisplayName("Keycloak's users by e-mail, its realm roles as groups and as the admin role")
  void keycloakShapedTokens() {
    String bob = token("bob");
    String carol = token("carol");
    assertThat(publishThenLicense(bob, grant("bob@contoso.com"), bob)).isEqualTo(200);
    assertThat(publishThenLicense(bob, grant("group:finance"), bob)).as("bob's realm role as a group").isEqualTo(200);
    assertThat(publishThenLicense(bob, grant("group:finance"), carol)).as("carol is not in finance").isEqualTo(403);
    assertThat(node.http.get("/v1/tenants/contoso", carol).status()).as("rms-admin is a tenant admin").isEqualTo(200);
    assertThat(node.http.get("/v1/tenants/contoso", bob).status()).isEqualTo(403);
    // a token of the same issuer string, signed by a key Keycloak never published
    Issuer forger = Issuer.rsa(keycloak.issuer("contoso"));
    assertThat(node.http.get("/v1/tenants/contoso/keys/current", forger.token("bob@contoso.com", List.of())).status())
        .isEqualTo(401);
  }

  @Test
  @DisplayName("the realm gets a new signing key while users license: no request fails, licensor is not restarted")
  void rotation() throws Exception {
    String before = token("bob");
    String oldKid = SignedJWT.parse(before).getHeader().getKeyID();
    int failures = 0;
    String newKid = null;
    for (int i = 0; i < 20; i++) {
      if (i == 10) {
        String realmId = new JsonObject(keycloak.admin("GET", "/contoso", null).body()).getString("id");
        HttpResponse<String> added = keycloak.admin("POST", "/contoso/components", new JsonObject()
            .put("name", "rotated-" + UUID.randomUUID()).put("providerId", "rsa-generated")
            .put("providerType", "org.keycloak.keys.KeyProvider").put("parentId", realmId)
            .put("config", new JsonObject().put("priority", new JsonArray().add("500"))
                .put("keySize", new JsonArray().add("2048"))));
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
      }
      String token = token("bob");
      if (i >= 10) {
        newKid = SignedJWT.parse(token).getHeader().getKeyID();
        assertThat(newKid).as("Keycloak signs with its new key").isNotEqualTo(oldKid);
      }
      if (publishThenLicense(token, grant("bob@contoso.com"), token) != 200) {
        failures++;
      }
    }
    assertThat(failures).as("requests refused across the rotation").isZero();
    assertThat(newKid).isNotNull();
    // a token signed before the rotation still works: the old key is still published
    assertThat(publishThenLicense(before, grant("bob@contoso.com"), before)).isEqualTo(200);
  }
}
