package io.licensor.licensing;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Pkcs11Token;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.keys.HmacKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Every licensing error of SPEC §5, provoked through the HTTP API and told apart by status and slug. */
@DisplayName("Licensing errors are clear problems a client can tell apart")
@ExtendWith(Pkcs11Token.SkipWithoutToken.class)
class LicensingErrorsTest {

  private static TestNode node;
  private static Issuer contoso;
  private static Issuer fabrikam;
  private static String pl;
  private static JsonObject recipient;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    contoso = node.createTenant("contoso", "RSA-2048");
    fabrikam = node.createTenant("fabrikam", "EC-P256");
    pl = publish(node, contoso, "contoso");
    recipient = RmsClient.publicJwk(RmsClient.recipientKey(false));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static String publish(TestNode n, Issuer idp, String tenant) {
    Http.Response current = n.http.get("/v1/tenants/" + tenant + "/keys/current", idp.token("alice@contoso.test", List.of()));
    JsonObject policy = new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "bob@contoso.test").put("rights", new JsonArray().add("VIEW"))));
    return RmsClient.publishOffline(current.json(), RmsClient.plPayload("doc", "alice@contoso.test", RmsClient.newContentKey(), policy));
  }

  private static Http.Response license(String tenant, String token, String publishingLicense) {
    return node.http.post("/v1/tenants/" + tenant + "/licenses", token,
        new JsonObject().put("publishingLicense", publishingLicense).put("recipientKey", recipient));
  }

  private static String bob() {
    return contoso.token("bob@contoso.test", List.of());
  }

  private static void assertProblem(Http.Response r, int status, String slug) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.header("Content-Type")).contains("application/problem+json");
    assertThat(r.slug()).isEqualTo(slug);
    assertThat(r.json().getString("requestId")).isNotBlank();
    assertThat(r.json().getString("detail")).isNotBlank();
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("the untampered license works (the baseline for the cases below)")
  void baselineLicenses() {
    assertThat(license("contoso", bob(), pl).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("a tampered header is 400 publishing-license-invalid")
  void tamperedHeaderIsInvalid() {
    String[] parts = pl.split("\\.");
    JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
    header.put("x-extra", "1");
    parts[0] = b64(header.encode());
    assertProblem(license("contoso", bob(), String.join(".", parts)), 400, "publishing-license-invalid");
  }

  @Test
  @DisplayName("a tampered ciphertext, tag or encrypted key is 400 publishing-license-invalid")
  void tamperedCiphertextIsInvalid() {
    for (int part : new int[] {1, 3, 4}) {
      String[] parts = pl.split("\\.");
      char[] chars = parts[part].toCharArray();
      chars[2] = chars[2] == 'A' ? 'B' : 'A';
      parts[part] = new String(chars);
      assertProblem(license("contoso", bob(), String.join(".", parts)), 400, "publishing-license-invalid");
    }
    assertProblem(license("contoso", bob(), "not-a-jwe"), 400, "publishing-license-invalid");
    assertProblem(license("contoso", bob(), b64("{\"alg\":\"none\"}") + ".a.b.c.d"), 400, "publishing-license-invalid");
  }

  @Test
  @DisplayName("another tenant's publishing license, or another tenant's token, is 403 wrong-tenant")
  void wrongTenant() {
    String fabrikamPl = publish(node, fabrikam, "fabrikam");
    assertProblem(license("contoso", bob(), fabrikamPl), 403, "wrong-tenant");
    assertProblem(license("fabrikam", bob(), fabrikamPl), 403, "wrong-tenant");
    assertProblem(node.http.get("/v1/tenants/fabrikam/keys/current", bob()), 403, "wrong-tenant");
  }

  @Test
  @DisplayName("a kid naming a version the tenant never had is 404 unknown-key-version")
  void unknownVersion() {
    String[] parts = pl.split("\\.");
    JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
    header.put("kid", "contoso:9");
    parts[0] = b64(header.encode());
    assertProblem(license("contoso", bob(), String.join(".", parts)), 404, "unknown-key-version");
  }

  @Test
  @DisplayName("a user the policy grants nothing is 403 access-denied")
  void accessDenied() {
    assertProblem(license("contoso", contoso.token("mallory@contoso.test", List.of()), pl), 403, "access-denied");
  }

  @Test
  @DisplayName("missing, expired, forged, unsigned and HMAC tokens are 401 unauthenticated")
  void badTokensAreUnauthenticated() throws Exception {
    assertProblem(license("contoso", null, pl), 401, "unauthenticated");
    assertProblem(license("contoso", contoso.token("bob@contoso.test", List.of(), List.of(), -600, "licensor"), pl),
        401, "unauthenticated");
    assertProblem(license("contoso", contoso.token("bob@contoso.test", List.of(), List.of(), 600, "someone-else"), pl),
        401, "unauthenticated");
    // forged: right issuer and kid, signed by another key
    Issuer forger = Issuer.ec("https://idp.test/contoso");
    assertProblem(license("contoso", forger.token("bob@contoso.test", List.of()), pl), 401, "unauthenticated");
    // alg none
    String payload = new JsonObject().put("iss", "https://idp.test/contoso").put("aud", "licensor")
        .put("sub", "bob@contoso.test").put("exp", System.currentTimeMillis() / 1000 + 600).encode();
    String none = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(payload) + ".";
    assertProblem(license("contoso", none, pl), 401, "unauthenticated");
    // HS256 with the issuer's public key bytes as the secret (the classic confusion attack)
    JwtClaims claims = JwtClaims.parse(payload);
    JsonWebSignature hmac = new JsonWebSignature();
    hmac.setPayload(claims.toJson());
    hmac.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
    hmac.setKey(new HmacKey(contoso.jwks().encode().getBytes(StandardCharsets.UTF_8)));
    assertProblem(license("contoso", hmac.getCompactSerialization(), pl), 401, "unauthenticated");
    assertProblem(license("contoso", "garbage", pl), 401, "unauthenticated");
  }

  @Test
  @DisplayName("an oversized body is 413, malformed JSON 400, and neither changes anything")
  void oversizedAndMalformedBodies() {
    String big = "{\"publishingLicense\":\"" + "A".repeat(100_000) + "\"}";
    assertProblem(node.http.post("/v1/tenants/contoso/licenses", bob(), big), 413, "payload-too-large");
    assertProblem(node.http.post("/v1/tenants/contoso/licenses", bob(), "{\"publishingLicense\":"), 400, "malformed-json");
    assertProblem(node.http.post("/v1/tenants", node.operatorToken(), "{\"id\":"), 400, "malformed-json");
    assertProblem(node.http.post("/v1/tenants/contoso/licenses", bob(), "[]"), 400, "invalid-request");
    assertThat(node.http.get("/v1/tenants/contoso", node.operatorToken()).json().getJsonArray("keys")).hasSize(1);
  }

  @Test
  @DisplayName("a private key sent as the recipient key is refused and not echoed")
  void privateRecipientKeyRefused() {
    JsonObject privateJwk = new JsonObject(RmsClient.recipientKey(false).toJson(
        JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE));
    Http.Response r = node.http.post("/v1/tenants/contoso/licenses", bob(),
        new JsonObject().put("publishingLicense", pl).put("recipientKey", privateJwk));
    assertProblem(r, 400, "invalid-request");
    assertThat(r.body()).doesNotContain(privateJwk.getString("d"));
  }

  @Test
  @DisplayName("a full HSM queue answers 503 hsm-busy with Retry-After, at once")
  void hsmBusy() throws Exception {
    try (TestNode tiny = TestNode.start(new JsonObject().put("hsm", new JsonObject().put("queueCapacity", 1)
        .put("retryAfterSeconds", 2)))) {
      Issuer idp = tiny.createTenant("tiny", "RSA-4096");
      String tinyPl = publish(tiny, idp, "tiny");
      String token = idp.token("bob@contoso.test", List.of());
      List<CompletableFuture<Http.Response>> burst = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        burst.add(CompletableFuture.supplyAsync(() -> tiny.http.post("/v1/tenants/tiny/licenses", token,
            new JsonObject().put("publishingLicense", tinyPl).put("recipientKey", recipient))));
      }
      List<Http.Response> responses = burst.stream().map(CompletableFuture::join).toList();
      List<Http.Response> busy = responses.stream().filter(r -> r.status() == 503).toList();
      assertThat(busy).as("some requests found the queue full").isNotEmpty();
      assertThat(responses).allMatch(r -> r.status() == 200 || r.status() == 503);
      for (Http.Response r : busy) {
        assertProblem(r, 503, "hsm-busy");
        assertThat(r.header("Retry-After")).contains("2");
      }
    }
  }
}
