package io.licensor.security;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.RmsClient;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The security review's low findings (issue 17, items 8-12 and 15), each as its probe ran it over
 * HTTP against a node, and each failing on 73c5f13.
 */
@DisplayName("The review's low findings: each probe is refused with a clear problem")
class ReviewFindingsTest {

  static TestNode node;
  static Issuer idp;
  static String op;

  @BeforeAll
  static void start() {
    node = TestNode.start(new JsonObject().put("limits", new JsonObject().put("maxKeyVersions", 3).put("maxKeks", 2)
        .put("keyOperationsPerMinute", 0)));
    idp = node.createTenant("findings", "EC-P256");
    op = node.operatorToken();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static String publish(JsonObject policy) {
    return RmsClient.publishOffline(node.http.get("/v1/tenants/findings/keys/current", idp.token("alice@findings.test", List.of()))
        .json(), RmsClient.plPayload("doc-" + System.nanoTime(), "alice@findings.test", RmsClient.newContentKey(), policy));
  }

  static JsonObject grant(String principal) {
    return new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", principal).put("rights", new JsonArray().add("VIEW"))));
  }

  static Http.Response license(String token, String pl, JsonObject recipient) {
    return node.http.post("/v1/tenants/findings/licenses", token,
        new JsonObject().put("publishingLicense", pl).put("recipientKey", recipient));
  }

  static String b64(BigInteger n) {
    byte[] bytes = n.toByteArray();
    if (bytes[0] == 0) {
      bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Test
  @DisplayName("8. recipient keys: RSA moduli of 2048-4096 bits with e = 65537 only")
  void recipientKeyBounds() {
    String pl = publish(grant("*"));
    String bob = idp.token("bob@findings.test", List.of());
    JsonObject ok = RmsClient.publicJwk(RmsClient.recipientKey(true));
    assertThat(license(bob, pl, ok).status()).isEqualTo(200);
    JsonObject exponent3 = ok.copy().put("e", b64(BigInteger.valueOf(3)));
    JsonObject bigExponent = ok.copy().put("e", b64(BigInteger.ONE.shiftLeft(3071).add(BigInteger.ONE)));
    JsonObject huge = ok.copy().put("n", b64(new BigInteger(16_384, new SecureRandom()).setBit(16_383).setBit(0)));
    for (JsonObject bad : List.of(exponent3, bigExponent, huge)) {
      Http.Response r = license(bob, pl, bad);
      assertThat(r.status()).as(r.toString()).isEqualTo(400);
      assertThat(r.json().getString("detail")).containsAnyOf("65537", "2048 to 4096");
    }
  }

  @Test
  @DisplayName("9. principals: KELVIN SIGN is not k, and *@domain needs one @ and a local part")
  void principalMatching() {
    String forBok = publish(grant("bok@findings.test"));
    assertThat(license(idp.token("bo\u212A@findings.test", List.of()), forBok, RmsClient.publicJwk(RmsClient.recipientKey(false)))
        .slug()).isEqualTo("access-denied");
    assertThat(license(idp.token("BOK@Findings.test", List.of()), forBok, RmsClient.publicJwk(RmsClient.recipientKey(false)))
        .status()).as("ASCII case still folds").isEqualTo(200);
    String forDomain = publish(grant("*@findings.test"));
    for (String sub : List.of("eve@x@findings.test", "@findings.test")) {
      assertThat(license(idp.token(sub, List.of()), forDomain, RmsClient.publicJwk(RmsClient.recipientKey(false))).slug())
          .as(sub).isEqualTo("access-denied");
    }
    assertThat(license(idp.token("carol@findings.test", List.of()), forDomain, RmsClient.publicJwk(RmsClient.recipientKey(false)))
        .status()).isEqualTo(200);
    Http.Response badGrant = node.http.post("/v1/tenants/findings/publishing-licenses", idp.token("alice@findings.test", List.of()),
        new JsonObject().put("contentId", "k").put("contentKey", RmsClient.b64(RmsClient.newContentKey()))
            .put("policy", grant("bo\u212A@findings.test")));
    assertThat(badGrant.status()).as("a grant not in NFKC form names nobody: refused").isEqualTo(400);
  }

  @Test
  @DisplayName("10. a publishing license whose payload has a key twice is invalid, not last-one-wins")
  void duplicateKeysInThePayload() {
    JsonObject current = node.http.get("/v1/tenants/findings/keys/current", idp.token("alice@findings.test", List.of())).json();
    String payload = "{\"contentId\":\"dup\",\"publisher\":\"alice@findings.test\",\"issuedAt\":" + System.currentTimeMillis() / 1000
        + ",\"contentKey\":\"" + RmsClient.b64(RmsClient.newContentKey()) + "\",\"policy\":{\"grants\":"
        + "[{\"principal\":\"nobody@findings.test\",\"rights\":[\"VIEW\"]}],\"grants\":[{\"principal\":\"*\",\"rights\":[\"OWNER\"]}]}}";
    Http.Response r = license(idp.token("eve@findings.test", List.of()), RmsClient.publishOffline(current, payload),
        RmsClient.publicJwk(RmsClient.recipientKey(false)));
    assertThat(r.status()).as(r.toString()).isEqualTo(400);
    assertThat(r.slug()).isEqualTo("publishing-license-invalid");
  }

  @Test
  @DisplayName("11. per-tenant bounds: key versions and key-exchange keys; expired KEKs are purged")
  void perTenantBounds() {
    Issuer bounded = node.createTenant("bounded", "EC-P256");
    assertThat(Licensing.rekey(node.http, op, "bounded").status()).isEqualTo(201);
    assertThat(Licensing.rekey(node.http, op, "bounded").status()).isEqualTo(201);
    Http.Response fourth = Licensing.rekey(node.http, op, "bounded");
    assertThat(fourth.status()).as(fourth.toString()).isEqualTo(409);
    assertThat(fourth.slug()).isEqualTo("limit-reached");
    assertThat(node.http.get("/v1/tenants/bounded/keys/current", bounded.token("a@bounded.test", List.of())).json()
        .getString("kid")).isEqualTo("bounded:3");

    assertThat(node.http.post("/v1/tenants/bounded/byok/kek", op, "{}").status()).isEqualTo(201);
    assertThat(node.http.post("/v1/tenants/bounded/byok/kek", op, "{}").status()).isEqualTo(201);
    Http.Response third = node.http.post("/v1/tenants/bounded/byok/kek", op, "{}");
    assertThat(third.status()).as(third.toString()).isEqualTo(409);
    assertThat(third.slug()).isEqualTo("limit-reached");
    // both expire (two days ago): the next request purges them and may have a KEK again
    TestDatabase.execute(node.databaseUrl, "UPDATE byok_keks SET expires_at = now() - interval '2 days' WHERE tenant_id = 'bounded'");
    assertThat(node.http.post("/v1/tenants/bounded/byok/kek", op, "{}").status()).isEqualTo(201);
    assertThat(TestDatabase.count(node.databaseUrl, "SELECT count(*) FROM byok_keks WHERE tenant_id = 'bounded'")).isEqualTo(1);
  }

  @Test
  @DisplayName("12. tokens: longer-lived than identity.maxTokenLifetimeSeconds, issued in the future, or with an empty sub get 401")
  void tokenClaims() {
    String path = "/v1/tenants/findings/keys/current";
    assertThat(node.http.get(path, idp.token("alice@findings.test", List.of())).status()).isEqualTo(200);
    String monthLong = idp.token("alice@findings.test", List.of(), List.of(), 30L * 86_400, "licensor");
    long now = System.currentTimeMillis() / 1000;
    String future = idp.sign(new JsonObject(idp.claims("alice@findings.test", List.of())).put("iat", now + 3600).encode());
    String emptySub = idp.sign(new JsonObject(idp.claims("alice@findings.test", List.of())).put("sub", "").encode());
    String blankSub = idp.sign(new JsonObject(idp.claims("alice@findings.test", List.of())).put("sub", "  ").encode());
    for (String token : List.of(monthLong, future, emptySub, blankSub)) {
      Http.Response r = node.http.get(path, token);
      assertThat(r.status()).as(r.toString()).isEqualTo(401);
    }
  }

  @Test
  @DisplayName("15. audit queries with out-of-range from/to get 400, not 500")
  void auditRange() {
    for (String query : List.of("from=99999999999999999", "to=-99999999999", "from=+1000000000-01-01T00:00:00Z",
        "to=99999999999999999999999")) {
      Http.Response r = node.http.get("/v1/tenants/findings/audit?" + query, op);
      assertThat(r.status()).as(query + ": " + r).isEqualTo(400);
      assertThat(r.slug()).isEqualTo("invalid-request");
    }
  }

  @Test
  @DisplayName("13. export passwords are checked for strength, not only length")
  void exportPasswordStrength() {
    String admin = idp.token("admin@findings.test", List.of("tenant-admin"));
    for (String weak : List.of("aaaaaaaaaaaaaaaa", "Password1234", "abcdefghijklmnop", "1234567890123", "findings2026!!",
        "qwertyuiopasdf")) {
      Http.Response r = node.http.post("/v1/tenants/findings/keys/1/export", admin, new JsonObject().put("password", weak));
      assertThat(r.status()).as(weak + ": " + r).isEqualTo(400);
      assertThat(r.json().getString("detail")).contains("too weak").doesNotContain(weak);
    }
    for (String strong : List.of("Correct-horse-battery-9", "a long export password")) {
      assertThat(node.http.post("/v1/tenants/findings/keys/1/export", admin, new JsonObject().put("password", strong)).status())
          .as(strong).isEqualTo(200);
    }
  }
}
