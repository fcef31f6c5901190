package licensor;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the simulations need before the load starts, made through licensor's public API: tenants
 * (RSA-2048 and EC-P256) whose users' tokens this class signs (an ES256 identity provider of its
 * own), publishing licenses under several key versions of each tenant (re-keyed between batches),
 * and a recipient key. No JSON library: the few documents are written and read by hand.
 */
final class Setup {

  /** The server under test (property baseUrl). */
  static final String BASE_URL = System.getProperty("baseUrl", "http://127.0.0.1:18082");

  /** Content made before the load, and the recipient key the use licenses are made for. */
  record Prepared(List<Map<String, Object>> content, String recipientJwk) {
  }

  /**
   * Tenants with content under {@code versions} key versions each, then licensing for the
   * warmUpSeconds property (default {@code warmUpDefault}) so the server's JIT is warm.
   */
  static Prepared prepare(int tenants, int versions, int plsPerVersion, int warmUpDefault) {
    return prepare(tenants, versions, plsPerVersion, warmUpDefault, null);
  }

  /** The same with every tenant on {@code algorithm} (RSA-2048 and EC-P256 alternating where null). */
  static Prepared prepare(int tenants, int versions, int plsPerVersion, int warmUpDefault, String algorithm) {
    try {
      Setup setup = new Setup(BASE_URL, System.getProperty("operatorToken"));
      List<Map<String, Object>> content = setup.tenantsWithContent(tenants, versions, plsPerVersion, algorithm);
      setup.warmUp(content, Integer.getInteger("warmUpSeconds", warmUpDefault));
      return new Prepared(content, setup.recipientJwk);
    } catch (Exception e) {
      throw new IllegalStateException("set-up against " + BASE_URL + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * One pool of keep-alive connections for all virtual users, as a load balancer or a client's
   * pool has. It grows whenever a request finds every connection busy, and Gatling does not bound
   * it (maxConnectionsPerHost does not apply to a shared pool: 10,523 connections were seen with it
   * set to 64), so the warm phase opens the connections the measured phase needs
   * ({@link Levels#WARM_USERS}); a burst past them opens more, each a TLS handshake.
   */
  static io.gatling.javaapi.http.HttpProtocolBuilder protocol() {
    return io.gatling.javaapi.http.HttpDsl.http.baseUrl(BASE_URL).contentTypeHeader("application/json").disableCaching()
        .shareConnections();
  }

  /** A use-license request for the feeder's tenant and bob's token, of the PL in session attribute {@code pl}. */
  static io.gatling.javaapi.http.HttpRequestActionBuilder licenseRequest(String name, String pl, String recipientJwk) {
    return io.gatling.javaapi.http.HttpDsl.http(name).post("/v1/tenants/#{tenant}/licenses")
        .header("Authorization", "Bearer #{token}")
        .body(io.gatling.javaapi.core.CoreDsl.StringBody("{\"publishingLicense\":\"#{" + pl + "}\",\"recipientKey\":"
            + recipientJwk + "}"))
        // first, so that a failed request still says why (Levels counts failures by problem)
        .check(io.gatling.javaapi.http.HttpDsl.status().saveAs("status"))
        .check(io.gatling.javaapi.core.CoreDsl.jsonPath("$.type").optional().saveAs("problem"))
        .check(io.gatling.javaapi.http.HttpDsl.status().is(200));
  }

  /** Online publishing as the feeder's publisher (alice); everyone may VIEW. */
  static io.gatling.javaapi.http.HttpRequestActionBuilder publishRequest(String name, String contentId) {
    return io.gatling.javaapi.http.HttpDsl.http(name).post("/v1/tenants/#{tenant}/publishing-licenses")
        .header("Authorization", "Bearer #{publisher}")
        .body(io.gatling.javaapi.core.CoreDsl.StringBody("{\"contentId\":\"" + contentId
            + "\",\"contentKey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
            + "\"policy\":{\"grants\":[{\"principal\":\"*\",\"rights\":[\"VIEW\"]}]}}"))
        .check(io.gatling.javaapi.http.HttpDsl.status().is(201));
  }

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Pattern PL = Pattern.compile("\"publishingLicense\"\\s*:\\s*\"([^\"]+)\"");

  /**
   * The setup client's TLS trust: the certificate the node serves (-DtrustCertificate=PEM file;
   * the scripts give the dev node's self-signed one, as curl gets it through CURL_CA_BUNDLE).
   */
  private static javax.net.ssl.SSLContext trusting(String pemFile) throws Exception {
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(pemFile))) {
      trust.setCertificateEntry("node", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  final String baseUrl;
  final String operatorToken;
  final String runId = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
  private final HttpClient http;
  private final KeyPair idp;
  final String recipientJwk;

  Setup(String baseUrl, String operatorToken) throws Exception {
    this.baseUrl = baseUrl;
    this.operatorToken = operatorToken;
    HttpClient.Builder client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
    String trustCertificate = System.getProperty("trustCertificate", "");
    if (!trustCertificate.isEmpty()) {
      client.sslContext(trusting(trustCertificate));
    }
    this.http = client.build();
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    idp = ec.generateKeyPair();
    // the recipient: EC P-256 (ECDH-ES+A256KW, as issue 20 measures) unless -Drecipient=rsa
    if ("rsa".equals(System.getProperty("recipient", "ec"))) {
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(2048);
      RSAPublicKey recipient = (RSAPublicKey) rsa.generateKeyPair().getPublic();
      recipientJwk = "{\"kty\":\"RSA\",\"e\":\"" + b64(recipient.getPublicExponent()) + "\",\"n\":\""
          + b64(recipient.getModulus()) + "\"}";
    } else {
      java.security.interfaces.ECPublicKey recipient = (java.security.interfaces.ECPublicKey) ec.generateKeyPair().getPublic();
      recipientJwk = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + b64(recipient.getW().getAffineX(), 32)
          + "\",\"y\":\"" + b64(recipient.getW().getAffineY(), 32) + "\"}";
    }
  }

  String tenantId(int i) {
    return "lt" + runId + "-" + i;
  }

  String issuer(String tenant) {
    return "https://idp.loadtest/" + tenant;
  }

  /** Creates a tenant trusting this class's identity provider; RSA-2048 for even i, EC-P256 for odd. */
  void createTenant(String tenant, String algorithm) throws Exception {
    ECPublicKey pub = (ECPublicKey) idp.getPublic();
    String jwk = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"lt\",\"alg\":\"ES256\",\"use\":\"sig\",\"x\":\""
        + b64(pub.getW().getAffineX(), 32) + "\",\"y\":\"" + b64(pub.getW().getAffineY(), 32) + "\"}";
    String body = "{\"id\":\"" + tenant + "\",\"displayName\":\"Load test " + tenant + "\",\"adminEmail\":\"admin@"
        + tenant + ".test\",\"identity\":{\"issuer\":\"" + issuer(tenant) + "\",\"jwks\":{\"keys\":[" + jwk + "]}},"
        + "\"key\":{\"origin\":\"service\",\"algorithm\":\"" + algorithm + "\"}}";
    expect(post("/v1/tenants", operatorToken, body), 201, "create tenant " + tenant);
  }

  void rekey(String tenant, String algorithm) throws Exception {
    expect(post("/v1/tenants/" + tenant + "/keys/rekey", operatorToken,
        "{\"origin\":\"service\",\"algorithm\":\"" + algorithm + "\"}"), 201, "re-key " + tenant);
  }

  /** Publishes online as alice; everyone in the tenant may VIEW. */
  String publish(String tenant, String contentId) throws Exception {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    HttpResponse<String> r = post("/v1/tenants/" + tenant + "/publishing-licenses", userToken(tenant, "alice@" + tenant),
        "{\"contentId\":\"" + contentId + "\",\"contentKey\":\"" + B64.encodeToString(key) + "\","
            + "\"policy\":{\"grants\":[{\"principal\":\"*\",\"rights\":[\"VIEW\"]}]}}");
    expect(r, 201, "publish for " + tenant);
    Matcher m = PL.matcher(r.body());
    if (!m.find()) {
      throw new IllegalStateException("no publishingLicense in " + r.body());
    }
    return m.group(1);
  }

  /** A user token of the tenant, valid for 6 hours. */
  String userToken(String tenant, String subject) throws Exception {
    return userToken(tenant, subject, "");
  }

  /** A token of the tenant with {@code roles} (a JSON array's inside, e.g. {@code "tenant-admin"} quoted). */
  String userToken(String tenant, String subject, String roles) throws Exception {
    long now = System.currentTimeMillis() / 1000;
    String header = "{\"alg\":\"ES256\",\"kid\":\"lt\",\"typ\":\"JWT\"}";
    String claims = "{\"iss\":\"" + issuer(tenant) + "\",\"sub\":\"" + subject + "\",\"aud\":\"licensor\",\"iat\":" + now
        + ",\"exp\":" + (now + 6 * 3600) + ",\"roles\":[" + roles + "]}";
    String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
        + B64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(idp.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + B64.encodeToString(s.sign());
  }

  /**
   * Tenants with content under {@code versions} key versions each; returns feeder records
   * {tenant, pl, token, version}.
   */
  List<Map<String, Object>> tenantsWithContent(int tenants, int versions, int plsPerVersion, String only)
      throws Exception {
    return tenantsWithContent(0, tenants, versions, plsPerVersion, only);
  }

  /** As above, the tenants numbered from {@code first} (beside others this set-up made). */
  List<Map<String, Object>> tenantsWithContent(int first, int tenants, int versions, int plsPerVersion, String only)
      throws Exception {
    List<Map<String, Object>> records = new ArrayList<>();
    for (int i = first; i < first + tenants; i++) {
      String tenant = tenantId(i);
      String algorithm = only != null ? only : i % 2 == 0 ? "RSA-2048" : "EC-P256";
      createTenant(tenant, algorithm);
      String token = userToken(tenant, "bob@" + tenant);
      for (int v = 1; v <= versions; v++) {
        if (v > 1) {
          rekey(tenant, algorithm);
        }
        for (int p = 0; p < plsPerVersion; p++) {
          Map<String, Object> record = new HashMap<>();
          record.put("tenant", tenant);
          record.put("pl", publish(tenant, "doc-" + v + "-" + p));
          record.put("token", token);
          record.put("publisher", userToken(tenant, "alice@" + tenant));
          record.put("admin", userToken(tenant, "admin@" + tenant, "\"tenant-admin\""));
          record.put("version", v);
          records.add(record);
        }
      }
    }
    return records;
  }

  /**
   * Many tenants, each with one publishing license, made by {@code threads} parallel clients;
   * returns feeder records {tenant, pl, token}. For runs over thousands of tenants.
   */
  List<Map<String, Object>> manyTenants(int tenants, String algorithm, int threads) throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<Map<String, Object>>> made = new ArrayList<>();
      for (int i = 0; i < tenants; i++) {
        String tenant = tenantId(i);
        made.add(pool.submit(() -> {
          createTenant(tenant, algorithm);
          Map<String, Object> record = new HashMap<>();
          record.put("tenant", tenant);
          record.put("pl", publish(tenant, "doc-1"));
          record.put("token", userToken(tenant, "bob@" + tenant));
          return record;
        }));
      }
      List<Map<String, Object>> records = new ArrayList<>();
      long start = System.nanoTime();
      for (java.util.concurrent.Future<Map<String, Object>> f : made) {
        records.add(f.get());
        if (records.size() % 1000 == 0) {
          System.out.printf("set-up: %d of %d tenants (%.0f s)%n", records.size(), tenants, (System.nanoTime() - start) / 1e9);
        }
      }
      return records;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Licenses the content over and over for {@code seconds}, so the server's JIT is warm when measuring starts. */
  void warmUp(List<Map<String, Object>> content, int seconds) throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    int i = 0;
    while (System.nanoTime() < end) {
      Map<String, Object> c = content.get(i++ % content.size());
      expect(post("/v1/tenants/" + c.get("tenant") + "/licenses", (String) c.get("token"),
          "{\"publishingLicense\":\"" + c.get("pl") + "\",\"recipientKey\":" + recipientJwk + "}"), 200, "warm-up");
    }
  }

  HttpResponse<String> post(String path, String token, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void expect(HttpResponse<String> r, int status, String what) {
    if (r.statusCode() != status) {
      throw new IllegalStateException(what + ": " + r.statusCode() + " " + r.body());
    }
  }

  private static String b64(BigInteger n) {
    byte[] bytes = n.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return B64.encodeToString(bytes);
  }

  private static String b64(BigInteger n, int length) {
    byte[] bytes = n.toByteArray();
    byte[] out = new byte[length];
    int copy = Math.min(bytes.length, length);
    System.arraycopy(bytes, bytes.length - copy, out, length - copy, copy);
    return B64.encodeToString(out);
  }
}
