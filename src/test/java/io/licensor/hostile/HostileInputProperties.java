package io.licensor.hostile;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input, generated, through the public HTTP API of one real node: tampered publishing
 * licenses, forged and re-headed tokens (alg none, HMAC with the public key, unaccepted algorithms,
 * an attacker's key offered in jwk or jku, crit), and hostile JSON bodies (duplicate keys, deep
 * nesting, invalid UTF-8, random bytes). Each answer must be the documented refusal, never a 200
 * or a 500, and nothing may change: the tenant's state and content still license afterwards.
 */
class HostileInputProperties {

  static TestNode node;
  static Issuer idp;
  static String pl;
  static String body;

  @BeforeContainer
  static void start() {
    node = TestNode.start();
    idp = node.createTenant("hostile", "EC-P256");
    pl = Licensing.publishOk(node.http, "hostile", idp, "doc");
    body = new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))).encode();
  }

  @AfterContainer
  static void stop() {
    if (node == null) {
      return;
    }
    // nothing the properties sent changed anything: the content still licenses, the tenant is active
    assertThat(license(bob(), body).status()).isEqualTo(200);
    assertThat(node.http.get("/v1/tenants/hostile", node.operatorToken()).json().getString("state")).isEqualTo("active");
    assertThat(node.eventLoopWarnings()).isEmpty();
    node.close();
  }

  static String bob() {
    return idp.token("bob@hostile.test", List.of());
  }

  static Http.Response license(String token, String json) {
    return node.http.post("/v1/tenants/hostile/licenses", token, json);
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String b64(String text) {
    return b64(text.getBytes(StandardCharsets.UTF_8));
  }

  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  @Property(tries = 80)
  void aTamperedPublishingLicenseNeverLicenses(@ForAll @IntRange(min = 0, max = 100_000) int where,
                                               @ForAll @IntRange(min = 1, max = 63) int shift) {
    int i = where % pl.length();
    char c = pl.charAt(i);
    if (c == '.') {
      return;
    }
    char replaced = ALPHABET.charAt((ALPHABET.indexOf(c) + shift) % ALPHABET.length());
    String tampered = pl.substring(0, i) + replaced + pl.substring(i + 1);
    Http.Response r = license(bob(), new JsonObject().put("publishingLicense", tampered)
        .put("recipientKey", new JsonObject(body).getJsonObject("recipientKey")).encode());
    assertThat(r.status()).as(r.toString()).isIn(400, 403, 404);
    assertThat(r.slug()).isIn("publishing-license-invalid", "wrong-tenant", "unknown-key-version");
  }

  @Provide
  Arbitrary<String> refusedAlgorithms() {
    return Arbitraries.of("none", "None", "NONE", "HS256", "HS384", "HS512", "RS384", "RS512", "ES384", "ES512", "PS384",
        "EdDSA", "", "RS256 ", "dir");
  }

  @Property(tries = 40)
  void tokensOfRefusedAlgorithmsAreUnauthenticated(@ForAll("refusedAlgorithms") String alg) throws Exception {
    String header = b64(new JsonObject().put("alg", alg).put("typ", "JWT").put("kid", "k").encode());
    String payload = b64(idp.claims("bob@hostile.test", List.of("tenant-admin")));
    String input = header + "." + payload;
    String signature;
    if (alg.startsWith("HS")) {
      // the classic confusion: HMAC keyed with the issuer's public key, which anyone can read
      Mac mac = Mac.getInstance("Hmac" + "SHA" + alg.substring(2));
      mac.init(new SecretKeySpec(idp.jwks().encode().getBytes(StandardCharsets.UTF_8), mac.getAlgorithm()));
      signature = b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } else if (alg.equalsIgnoreCase("none")) {
      signature = "";
    } else {
      signature = b64(new byte[64]);
    }
    Http.Response r = license(input + "." + signature, body);
    assertThat(r.status()).as(r.toString()).isEqualTo(401);
    assertThat(r.slug()).isEqualTo("unauthenticated");
  }

  @Provide
  Arbitrary<Map<String, Object>> keySubstitution() {
    Issuer attacker = Issuer.ec("https://idp.test/hostile");
    return Arbitraries.of(
        Map.<String, Object>of("jwk", attacker.publicJwk()),
        Map.<String, Object>of("jku", "http://127.0.0.1:9/jwks.json"),
        Map.<String, Object>of("x5u", "http://127.0.0.1:9/cert.pem"),
        Map.<String, Object>of("jwk", attacker.publicJwk(), "jku", "http://127.0.0.1:9/jwks.json"));
  }

  /** The attacker's own key signs, and offers itself in the header: the header is ignored, so the signature fails. */
  @Property(tries = 20)
  void anAttackersKeyInTheHeaderIsIgnored(@ForAll("keySubstitution") Map<String, Object> headers) {
    Issuer attacker = Issuer.ec("https://idp.test/hostile");
    Map<String, Object> own = new java.util.HashMap<>(headers);
    own.put("jwk", attacker.publicJwk());
    String forged = attacker.signWithHeaders(idp.claims("mallory@hostile.test", List.of("tenant-admin")), own);
    assertThat(license(forged, body).status()).isEqualTo(401);
    // and with the real issuer's key, the same headers change nothing: the token is the issuer's
    String genuine = idp.signWithHeaders(idp.claims("bob@hostile.test", List.of()), headers);
    assertThat(license(genuine, body).status()).isEqualTo(200);
  }

  @Provide
  Arbitrary<List<String>> criticalParameters() {
    return Arbitraries.of(List.of("exp"), List.of("urn:example:unknown"), List.of("b64"), List.of("kid", "urn:x"));
  }

  @Property(tries = 12)
  void aCritHeaderIsRefused(@ForAll("criticalParameters") List<String> crit) {
    Map<String, Object> headers = new java.util.HashMap<>();
    headers.put("crit", crit);
    for (String name : crit) {
      if (!name.equals("kid") && !name.equals("exp")) {
        headers.put(name, true);
      }
    }
    String token = idp.signWithHeaders(idp.claims("bob@hostile.test", List.of()), headers);
    assertThat(license(token, body).status()).isEqualTo(401);
  }

  @Property(tries = 30)
  void aKeyTwiceInOneObjectIsRefused(@ForAll("keysOfTheBody") String key) {
    JsonObject base = new JsonObject(body);
    String twice = base.encode().replaceFirst("\\{", "{\"" + key + "\":" + jsonOf(base.getValue(key)) + ",");
    Http.Response r = license(bob(), twice);
    assertThat(r.status()).as(r.toString()).isEqualTo(400);
    assertThat(r.slug()).isEqualTo("malformed-json");
    assertThat(r.json().getString("detail")).contains("twice");
  }

  @Provide
  Arbitrary<String> keysOfTheBody() {
    return Arbitraries.of("publishingLicense", "recipientKey");
  }

  private static String jsonOf(Object value) {
    return value instanceof String s ? new io.vertx.core.json.JsonArray().add(s).encode().replaceAll("^\\[|]$", "")
        : value.toString();
  }

  @Property(tries = 25)
  void deepNestingIsRefusedNotOverflowed(@ForAll @IntRange(min = 33, max = 20_000) int depth,
                                         @ForAll boolean arrays) {
    StringBuilder json = new StringBuilder("{\"publishingLicense\":");
    for (int i = 0; i < depth; i++) {
      json.append(arrays ? "[" : "{\"a\":");
    }
    json.append("1");
    for (int i = 0; i < depth; i++) {
      json.append(arrays ? "]" : "}");
    }
    json.append("}");
    Http.Response r = license(bob(), json.toString());
    assertThat(r.status()).as(r.toString()).isIn(400, 413);
  }

  @Property(tries = 40)
  void invalidUtf8IsRefused(@ForAll("invalidUtf8") byte[] bad) throws Exception {
    byte[] prefix = "{\"publishingLicense\":\"".getBytes(StandardCharsets.US_ASCII);
    byte[] suffix = "\",\"recipientKey\":{}}".getBytes(StandardCharsets.US_ASCII);
    byte[] bytes = new byte[prefix.length + bad.length + suffix.length];
    System.arraycopy(prefix, 0, bytes, 0, prefix.length);
    System.arraycopy(bad, 0, bytes, prefix.length, bad.length);
    System.arraycopy(suffix, 0, bytes, prefix.length + bad.length, suffix.length);
    HttpResponse<String> r = raw(bytes);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(new JsonObject(r.body()).getString("type")).isEqualTo("urn:licensor:problem:malformed-json");
  }

  @Provide
  Arbitrary<byte[]> invalidUtf8() {
    return Arbitraries.of(
        new byte[] {(byte) 0xC3}, new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xFE, (byte) 0xFF},
        new byte[] {(byte) 0xC0, (byte) 0xAF}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0x80},
        new byte[] {(byte) 0xE2, (byte) 0x82});
  }

  @Property(tries = 150)
  void anyBytesGetAProblemNeverAFailure(@ForAll byte[] bytes) throws Exception {
    HttpResponse<String> r = raw(bytes);
    assertThat(r.statusCode()).as(r.body()).isIn(400, 401, 403, 404, 413);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
  }

  @Property(tries = 150)
  void anyJsonValueGetsAProblemNeverAFailure(@ForAll("jsonValues") String json) {
    Http.Response r = license(bob(), json);
    assertThat(r.status()).as(json + " -> " + r).isIn(400, 403, 404);
  }

  @Provide
  Arbitrary<String> jsonValues() {
    Arbitrary<Object> leaves = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40).map(s -> (Object) s),
        Arbitraries.integers().map(i -> (Object) i), Arbitraries.of(true, false).map(b -> (Object) b),
        Arbitraries.just(pl).map(s -> (Object) s), Arbitraries.doubles().map(d -> (Object) d));
    Arbitrary<JsonObject> recipient = Arbitraries.maps(Arbitraries.of("kty", "crv", "x", "y", "n", "e", "d", "alg", "use"),
        leaves).ofMaxSize(6).map(m -> new JsonObject(new java.util.HashMap<>(m)));
    return Arbitraries.maps(Arbitraries.of("publishingLicense", "recipientKey", "x", ""),
            Arbitraries.oneOf(leaves, recipient.map(o -> (Object) o)))
        .ofMaxSize(3).map(m -> new JsonObject(new java.util.HashMap<>(m)).encode());
  }

  private static HttpResponse<String> raw(byte[] bytes) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.http.base() + "/v1/tenants/hostile/licenses"))
        .header("Authorization", "Bearer " + bob()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
