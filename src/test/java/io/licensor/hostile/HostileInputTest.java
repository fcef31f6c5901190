package io.licensor.hostile;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.RmsClient;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input, generated, through the public HTTP API of one real node: tampered publishing
 * licenses, forged and re-headed tokens (alg none, HMAC with the public key, unaccepted algorithms,
 * an attacker's key offered in jwk or jku, crit), and hostile JSON bodies (duplicate keys, deep
 * nesting, invalid UTF-8, random bytes). Each answer must be the documented refusal, never a 200
 * or a 500, and nothing may change: the tenant's state and content still license afterwards.
 *
 * <p>Property-based in the plain-JUnit way: each property is checked on cases drawn from a seeded
 * random generator (the seed is printed; {@code -Dhostile.seed=N} replays a run), one dynamic test
 * per case, named after its input.
 */
class HostileInputTest {

  static TestNode node;
  static Issuer idp;
  static String pl;
  static String body;

  static final long SEED = Long.getLong("hostile.seed", System.nanoTime());

  static {
    System.out.println("HostileInputTest seed " + SEED + " (replay with -Dhostile.seed=" + SEED + ")");
  }

  /** {@code tries} cases of {@code generate}, each checked by {@code check}, as dynamic tests. */
  static <T> Stream<DynamicTest> forAll(String property, int tries, Function<Random, T> generate, Checked<T> check) {
    Random random = new Random(SEED ^ property.hashCode());
    List<T> cases = new ArrayList<>();
    IntStream.range(0, tries).forEach(i -> cases.add(generate.apply(random)));
    return cases.stream().map(c -> DynamicTest.dynamicTest(property + ": " + describe(c), () -> check.accept(c)));
  }

  interface Checked<T> {
    void accept(T value) throws Exception;
  }

  static String describe(Object value) {
    String text = value instanceof byte[] b ? "bytes " + HexFormat.of().formatHex(b) : String.valueOf(value);
    return text.length() > 80 ? text.substring(0, 80) + "..." : text;
  }

  static <T> T oneOf(Random random, List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  @BeforeAll
  static void start() {
    node = TestNode.start();
    idp = node.createTenant("hostile", "EC-P256");
    pl = Licensing.publishOk(node.http, "hostile", idp, "doc");
    body = new JsonObject().put("publishingLicense", pl)
        .put("recipientKey", RmsClient.publicJwk(RmsClient.recipientKey(false))).encode();
  }

  @AfterAll
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

  @TestFactory
  Stream<DynamicTest> aTamperedPublishingLicenseNeverLicenses() {
    return forAll("tampered PL", 80, r -> new int[] {r.nextInt(pl.length()), 1 + r.nextInt(63)},
        c -> tamperedPublishingLicense(c[0], c[1]));
  }

  void tamperedPublishingLicense(int i, int shift) {
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

  static final List<String> REFUSED_ALGORITHMS = List.of("none", "None", "NONE", "HS256", "HS384", "HS512", "RS384", "RS512",
      "ES384", "ES512", "PS384", "EdDSA", "", "RS256 ", "dir");

  @TestFactory
  Stream<DynamicTest> tokensOfRefusedAlgorithmsAreUnauthenticated() {
    return REFUSED_ALGORITHMS.stream().map(alg -> DynamicTest.dynamicTest("alg '" + alg + "'", () -> refusedAlgorithm(alg)));
  }

  void refusedAlgorithm(String alg) throws Exception {
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

  /** The attacker's own key signs, and offers itself in the header: the header is ignored, so the signature fails. */
  @TestFactory
  Stream<DynamicTest> anAttackersKeyInTheHeaderIsIgnored() {
    Issuer attacker = Issuer.ec("https://idp.test/hostile");
    return Stream.of(
        Map.<String, Object>of("jwk", attacker.publicJwk()),
        Map.<String, Object>of("jku", "http://127.0.0.1:9/jwks.json"),
        Map.<String, Object>of("x5u", "http://127.0.0.1:9/cert.pem"),
        Map.<String, Object>of("jwk", attacker.publicJwk(), "jku", "http://127.0.0.1:9/jwks.json"))
        .map(h -> DynamicTest.dynamicTest("headers " + h.keySet(), () -> keySubstitution(h)));
  }

  void keySubstitution(Map<String, Object> headers) {
    Issuer attacker = Issuer.ec("https://idp.test/hostile");
    Map<String, Object> own = new HashMap<>(headers);
    own.put("jwk", attacker.publicJwk());
    String forged = attacker.signWithHeaders(idp.claims("mallory@hostile.test", List.of("tenant-admin")), own);
    assertThat(license(forged, body).status()).isEqualTo(401);
    // and with the real issuer's key, the same headers change nothing: the token is the issuer's
    String genuine = idp.signWithHeaders(idp.claims("bob@hostile.test", List.of()), headers);
    assertThat(license(genuine, body).status()).isEqualTo(200);
  }

  @TestFactory
  Stream<DynamicTest> aCritHeaderIsRefused() {
    return Stream.of(List.of("exp"), List.of("urn:example:unknown"), List.of("b64"), List.of("kid", "urn:x"))
        .map(crit -> DynamicTest.dynamicTest("crit " + crit, () -> critHeader(crit)));
  }

  void critHeader(List<String> crit) {
    Map<String, Object> headers = new HashMap<>();
    headers.put("crit", crit);
    for (String name : crit) {
      if (!name.equals("kid") && !name.equals("exp")) {
        headers.put(name, true);
      }
    }
    String token = idp.signWithHeaders(idp.claims("bob@hostile.test", List.of()), headers);
    assertThat(license(token, body).status()).isEqualTo(401);
  }

  @TestFactory
  Stream<DynamicTest> aKeyTwiceInOneObjectIsRefused() {
    return Stream.of("publishingLicense", "recipientKey").map(k -> DynamicTest.dynamicTest("key " + k, () -> keyTwice(k)));
  }

  void keyTwice(String key) {
    JsonObject base = new JsonObject(body);
    String twice = base.encode().replaceFirst("\\{", "{\"" + key + "\":" + jsonOf(base.getValue(key)) + ",");
    Http.Response r = license(bob(), twice);
    assertThat(r.status()).as(r.toString()).isEqualTo(400);
    assertThat(r.slug()).isEqualTo("malformed-json");
    assertThat(r.json().getString("detail")).contains("twice");
  }

  private static String jsonOf(Object value) {
    return value instanceof String s ? new JsonArray().add(s).encode().replaceAll("^\\[|]$", "")
        : value.toString();
  }

  @TestFactory
  Stream<DynamicTest> deepNestingIsRefusedNotOverflowed() {
    return forAll("nesting", 25, r -> new int[] {33 + r.nextInt(20_000 - 33), r.nextInt(2)},
        c -> deepNesting(c[0], c[1] == 1));
  }

  void deepNesting(int depth, boolean arrays) {
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

  @TestFactory
  Stream<DynamicTest> invalidUtf8IsRefused() {
    return INVALID_UTF8.stream().map(b -> DynamicTest.dynamicTest(describe(b), () -> invalidUtf8(b)));
  }

  void invalidUtf8(byte[] bad) throws Exception {
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

  static final List<byte[]> INVALID_UTF8 = List.of(
        new byte[] {(byte) 0xC3}, new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xFE, (byte) 0xFF},
        new byte[] {(byte) 0xC0, (byte) 0xAF}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0x80},
        new byte[] {(byte) 0xE2, (byte) 0x82});

  @TestFactory
  Stream<DynamicTest> anyBytesGetAProblemNeverAFailure() {
    return forAll("bytes", 150, r -> {
      byte[] b = new byte[r.nextInt(300)];
      r.nextBytes(b);
      return b;
    }, this::anyBytes);
  }

  void anyBytes(byte[] bytes) throws Exception {
    HttpResponse<String> r = raw(bytes);
    assertThat(r.statusCode()).as(r.body()).isIn(400, 401, 403, 404, 413);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
  }

  @TestFactory
  Stream<DynamicTest> anyJsonValueGetsAProblemNeverAFailure() {
    return forAll("json", 150, HostileInputTest::jsonBody, this::anyJson);
  }

  void anyJson(String json) {
    Http.Response r = license(bob(), json);
    assertThat(r.status()).as(json + " -> " + r).isIn(400, 403, 404);
  }

  /** A JSON object with some of the license request's keys (and others), holding random leaves and JWK-like objects. */
  static String jsonBody(Random r) {
    JsonObject body = new JsonObject();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      String key = oneOf(r, List.of("publishingLicense", "recipientKey", "x", ""));
      body.put(key, r.nextInt(3) == 0 ? jwkLike(r) : leaf(r));
    }
    return body.encode();
  }

  static JsonObject jwkLike(Random r) {
    JsonObject jwk = new JsonObject();
    int n = r.nextInt(7);
    for (int i = 0; i < n; i++) {
      jwk.put(oneOf(r, List.of("kty", "crv", "x", "y", "n", "e", "d", "alg", "use")),
          r.nextBoolean() ? oneOf(r, List.of("EC", "RSA", "P-256", "P-521", "oct", "AQAB")) : leaf(r));
    }
    return jwk;
  }

  static Object leaf(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> r.nextInt();
      case 1 -> r.nextBoolean();
      case 2 -> pl;
      case 3 -> r.nextDouble() * 1e9;
      case 4 -> pl.substring(0, r.nextInt(pl.length()));
      default -> {
        StringBuilder b = new StringBuilder();
        int len = r.nextInt(40);
        for (int i = 0; i < len; i++) {
          b.append((char) (r.nextInt(0x2FF) + 1));
        }
        yield b.toString();
      }
    };
  }

  private static HttpResponse<String> raw(byte[] bytes) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.http.base() + "/v1/tenants/hostile/licenses"))
        .header("Authorization", "Bearer " + bob()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
