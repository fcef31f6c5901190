package io.licensor.licensing;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Pkcs11Token;
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
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interop: a client written with jose4j (not the server's Nimbus) publishes offline from
 * keys/current, acquires use licenses, verifies them from jwks.json alone, and opens the content
 * key with its own private key — for each of the five key algorithms.
 */
@DisplayName("An independent JOSE client publishes and licenses content")
@ExtendWith(Pkcs11Token.SkipWithoutToken.class)
class LicensingInteropTest {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    if (node == null) {
      return; // never started (its @BeforeAll failed or was aborted)
    }
    List<String> warnings = node.eventLoopWarnings();
    node.close();
    assertThat(warnings).as("event loops never blocked while serving").isEmpty();
  }

  static JsonObject policy() {
    return new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "bob@example.test").put("rights", new JsonArray().add("VIEW").add("PRINT")))
        .add(new JsonObject().put("principal", "*@example.test").put("rights", new JsonArray().add("VIEW"))))
        .put("licenseTtlSeconds", 3600);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"RSA-2048", "RSA-3072", "RSA-4096", "EC-P256", "EC-P384"})
  @DisplayName("an offline publishing license licenses, and the use license verifies and opens")
  void offlinePublishingLicenseLicenses(String algorithm) throws Exception {
    String tenant = "off-" + algorithm.toLowerCase(Locale.ROOT);
    Issuer idp = node.createTenant(tenant, algorithm);
    String alice = idp.token("alice@example.test", List.of());
    String bob = idp.token("Bob@Example.test", List.of());

    Http.Response current = node.http.get("/v1/tenants/" + tenant + "/keys/current", alice);
    assertThat(current.status()).isEqualTo(200);
    assertThat(current.json().getString("kid")).isEqualTo(tenant + ":1");
    assertThat(current.json().getString("algorithm")).isEqualTo(algorithm);

    byte[] contentKey = RmsClient.newContentKey();
    String pl = RmsClient.publishOffline(current.json(), RmsClient.plPayload("doc-" + algorithm, "alice@example.test", contentKey, policy()));

    for (boolean rsaRecipient : new boolean[] {true, false}) {
      PublicJsonWebKey recipient = RmsClient.recipientKey(rsaRecipient);
      Http.Response license = node.http.post("/v1/tenants/" + tenant + "/licenses", bob,
          new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(recipient)));
      assertThat(license.status()).as(license.toString()).isEqualTo(200);
      assertThat(license.json().getString("kid")).isEqualTo(tenant + ":1");
      assertThat(license.json().getJsonArray("rights").getList()).containsExactlyInAnyOrder("PRINT", "VIEW");
      assertUseLicense(tenant, license.json().getString("useLicense"), recipient, contentKey, "doc-" + algorithm);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"RSA-2048", "EC-P256", "EC-P384"})
  @DisplayName("an online publishing license round-trips the same way")
  void onlinePublishingRoundTrips(String algorithm) throws Exception {
    String tenant = "on-" + algorithm.toLowerCase(Locale.ROOT);
    Issuer idp = node.createTenant(tenant, algorithm);
    byte[] contentKey = RmsClient.newContentKey();
    Http.Response published = node.http.post("/v1/tenants/" + tenant + "/publishing-licenses",
        idp.token("alice@example.test", List.of()),
        new JsonObject().put("contentId", "report-7").put("policy", policy()).put("contentKey", RmsClient.b64(contentKey)));
    assertThat(published.status()).as(published.toString()).isEqualTo(201);
    assertThat(published.json().getString("kid")).isEqualTo(tenant + ":1");
    String pl = published.json().getString("publishingLicense");
    JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(pl.split("\\.")[0])));
    assertThat(header.getString("typ")).isEqualTo("licensor-pl+jwe");
    assertThat(header.getString("enc")).isEqualTo("A256GCM");
    assertThat(header.getString("alg")).isEqualTo(algorithm.startsWith("RSA") ? "RSA-OAEP-256" : "ECDH-ES+A256KW");

    PublicJsonWebKey recipient = RmsClient.recipientKey(false);
    Http.Response license = node.http.post("/v1/tenants/" + tenant + "/licenses",
        idp.token("carol@example.test", List.of()),
        new JsonObject().put("publishingLicense", pl).put("recipientKey", RmsClient.publicJwk(recipient)));
    assertThat(license.status()).as(license.toString()).isEqualTo(200);
    assertThat(license.json().getJsonArray("rights").getList()).containsExactly("VIEW");
    assertThat(license.header("Licensor-Current-Kid")).contains(tenant + ":1");
    assertUseLicense(tenant, license.json().getString("useLicense"), recipient, contentKey, "report-7");
  }

  @Test
  @DisplayName("groups, wildcard and OWNER grants give the rights the policy says")
  void policyPrincipalsAreEvaluated() throws Exception {
    String tenant = "policy-eval";
    Issuer idp = node.createTenant(tenant, "EC-P256");
    JsonObject policy = new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "group:finance").put("rights", new JsonArray().add("EDIT")))
        .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW")))
        .add(new JsonObject().put("principal", "boss@example.test").put("rights", new JsonArray().add("OWNER"))));
    Http.Response current = node.http.get("/v1/tenants/" + tenant + "/keys/current", idp.token("x@example.test", List.of()));
    String pl = RmsClient.publishOffline(current.json(), RmsClient.plPayload("c", "x@example.test", RmsClient.newContentKey(), policy));
    JsonObject recipient = RmsClient.publicJwk(RmsClient.recipientKey(false));
    Map<String, List<String>> expected = Map.of(
        "dora@elsewhere.test", List.of("VIEW"),
        "boss@example.test", List.of("EDIT", "EXPORT", "FORWARD", "OWNER", "PRINT", "VIEW"));
    for (var e : expected.entrySet()) {
      Http.Response r = node.http.post("/v1/tenants/" + tenant + "/licenses", idp.token(e.getKey(), List.of()),
          new JsonObject().put("publishingLicense", pl).put("recipientKey", recipient));
      assertThat(r.json().getJsonArray("rights").getList()).as(e.getKey()).containsExactlyInAnyOrderElementsOf(e.getValue());
    }
    Http.Response finance = node.http.post("/v1/tenants/" + tenant + "/licenses",
        idp.token("fin@example.test", List.of(), List.of("finance"), 600, "licensor"),
        new JsonObject().put("publishingLicense", pl).put("recipientKey", recipient));
    assertThat(finance.json().getJsonArray("rights").getList()).containsExactlyInAnyOrder("EDIT", "VIEW");
  }

  private void assertUseLicense(String tenant, String useLicense, PublicJsonWebKey recipient, byte[] contentKey,
                                String contentId) throws Exception {
    Http.Response jwks = node.http.get("/v1/tenants/" + tenant + "/jwks.json", null);
    assertThat(jwks.status()).isEqualTo(200);
    JwtClaims claims = RmsClient.verifyUseLicense(useLicense, jwks.json(), tenant);
    assertThat(claims.getStringClaimValue("contentId")).isEqualTo(contentId);
    long now = System.currentTimeMillis() / 1000;
    assertThat(claims.getExpirationTime().getValue()).isBetween(now + 3500, now + 3700);
    @SuppressWarnings("unchecked")
    Map<String, Object> cnf = (Map<String, Object>) claims.getClaimValue("cnf");
    assertThat(cnf.get("jkt")).isEqualTo(RmsClient.thumbprint(recipient));
    byte[] opened = RmsClient.openContentKey(claims.getStringClaimValue("contentKey"), recipient);
    assertThat(opened).isEqualTo(contentKey);
  }
}
