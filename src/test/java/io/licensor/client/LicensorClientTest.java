package io.licensor.client;

import com.sun.net.httpserver.HttpServer;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwx.JsonWebStructure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 24, item 1: the Java client library against a real node (HTTP over loopback, PostgreSQL,
 * the software HSM, delegated signing on): what an RMS app using it sees. Every use license it
 * accepts is also verified by jose4j from jwks.json alone.
 */
@DisplayName("Java client library")
class LicensorClientTest {

  static TestNode node;
  static URI server;

  @BeforeAll
  static void start() {
    node = TestNode.start(new JsonObject().put("limits", new JsonObject().put("tenantRatePerSecond", 4)));
    server = URI.create("http://127.0.0.1:" + node.node.port() + "/");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static LicensorClient as(String token) {
    return LicensorClient.builder(server).token(token).build();
  }

  static byte[] protect(LicensorClient client, String tenant, Policy policy, String text, LicensorClient.Publishing how)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client.protect(tenant, policy, "memo.txt", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), out, how);
    return out.toByteArray();
  }

  @Test
  @DisplayName("offline publishing under the cached current key; bob opens with VIEW (a delegated UL, also verified by jose4j); carol gets AccessDenied; EXPORT is refused locally")
  void protectOfflineAndOpen() throws Exception {
    Issuer idp = node.createTenant("sdk-offline", "RSA-2048");
    LicensorClient alice = as(idp.token("alice@sdk-offline.test", List.of()));
    byte[] file = protect(alice, "sdk-offline", Policy.of(Policy.Grant.parse("bob@sdk-offline.test:VIEW,PRINT")),
        "Q3 plan", LicensorClient.Publishing.OFFLINE);
    ProtectedContainer container = ProtectedContainer.read(new ByteArrayInputStream(file));
    assertThat(container.kid()).isEqualTo("sdk-offline:1");
    assertThat(new String(file, StandardCharsets.ISO_8859_1)).doesNotContain("Q3 plan");

    LicensorClient bob = as(idp.token("bob@sdk-offline.test", List.of()));
    LicensorClient.Opened opened = bob.open(file, Right.VIEW);
    assertThat(new String(opened.content(), StandardCharsets.UTF_8)).isEqualTo("Q3 plan");
    UseLicense license = opened.license();
    assertThat(license.subject()).isEqualTo("bob@sdk-offline.test");
    assertThat(license.rights()).containsExactlyInAnyOrder(Right.VIEW, Right.PRINT);
    assertThat(license.versionKid()).isEqualTo("sdk-offline:1");
    UseLicense delegated = delegatedLicense(bob, file);
    assertThat(delegated.kid()).startsWith("sdk-offline:1.");
    // an independent implementation verifies it from jwks.json alone
    String jwks = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.resolve("v1/tenants/sdk-offline/jwks.json")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    JsonWebSignature jws = (JsonWebSignature) JsonWebStructure.fromCompactSerialization(delegated.compact());
    jws.setKey(new JsonWebKeySet(jwks).findJsonWebKey(delegated.kid(), null, null, null).getKey());
    assertThat(jws.verifySignature()).isTrue();

    assertThatThrownBy(() -> bob.open(file, Right.EXPORT)).isInstanceOf(LicensorException.RightNotGrantedException.class)
        .hasMessageContaining("not EXPORT");
    LicensorClient carol = as(idp.token("carol@sdk-offline.test", List.of()));
    assertThatThrownBy(() -> carol.open(file, Right.VIEW)).isInstanceOfSatisfying(ProblemException.AccessDenied.class, e -> {
      assertThat(e.status()).isEqualTo(403);
      assertThat(e.slug()).isEqualTo("access-denied");
      assertThat(e.requestId()).isNotBlank();
    });
    assertThat(node.http.get("/web/", null).status()).as("the web page is off by default").isEqualTo(404);
    LicensorClient forged = as(Issuer.rsa(idp.issuer()).token("bob@sdk-offline.test", List.of()));
    assertThatThrownBy(() -> forged.open(file, Right.VIEW)).isInstanceOf(ProblemException.Unauthenticated.class);
  }

  @Test
  @DisplayName("the cached current key is used until a response names another current kid; then the next offline publish uses the new version")
  void currentKeyFollowsRekey() throws Exception {
    Issuer idp = node.createTenant("sdk-rekey", "EC-P256");
    LicensorClient alice = as(idp.token("alice@sdk-rekey.test", List.of()));
    Policy policy = Policy.of(Policy.Grant.parse("*@sdk-rekey.test:VIEW"));
    byte[] first = protect(alice, "sdk-rekey", policy, "one", LicensorClient.Publishing.OFFLINE);
    assertThat(ProtectedContainer.read(new ByteArrayInputStream(first)).kid()).isEqualTo("sdk-rekey:1");
    assertThat(Licensing.rekey(node.http, node.operatorToken(), "sdk-rekey").status()).isEqualTo(201);
    // within the key's max-age (the rollover window, 300 s) the client publishes under the key it holds: still valid (retained)
    byte[] second = protect(alice, "sdk-rekey", policy, "two", LicensorClient.Publishing.OFFLINE);
    assertThat(ProtectedContainer.read(new ByteArrayInputStream(second)).kid()).isEqualTo("sdk-rekey:1");
    // a license answer names the current kid sdk-rekey:2: the cached key goes
    assertThat(new String(alice.open(second, Right.VIEW).content(), StandardCharsets.UTF_8)).isEqualTo("two");
    byte[] third = protect(alice, "sdk-rekey", policy, "three", LicensorClient.Publishing.OFFLINE);
    assertThat(ProtectedContainer.read(new ByteArrayInputStream(third)).kid()).isEqualTo("sdk-rekey:2");
    assertThat(alice.currentKey("sdk-rekey").kid()).isEqualTo("sdk-rekey:2");
    LicensorClient bob = as(idp.token("bob@sdk-rekey.test", List.of()));
    for (byte[] f : List.of(first, second, third)) {
      assertThat(bob.open(f, Right.VIEW).content()).isNotEmpty();
    }
  }

  @Test
  @DisplayName("a use license is kept for its offline access: after a cancel it still opens on the client that holds it, not on another, and never with offline access 0")
  void offlineAccessKeepsTheLicense() throws Exception {
    Issuer idp = node.createTenant("sdk-keep", "RSA-2048");
    LicensorClient alice = as(idp.token("alice@sdk-keep.test", List.of()));
    byte[] kept = protect(alice, "sdk-keep", Policy.builder().grant("bob@sdk-keep.test", Right.VIEW)
        .offlineAccessSeconds(3600).build(), "kept", LicensorClient.Publishing.ONLINE);
    byte[] online = protect(alice, "sdk-keep", Policy.builder().grant("bob@sdk-keep.test", Right.VIEW)
        .offlineAccessSeconds(0).build(), "online", LicensorClient.Publishing.ONLINE);
    String bobToken = idp.token("bob@sdk-keep.test", List.of());
    LicensorClient bob = as(bobToken);
    UseLicense first = bob.open(kept, Right.VIEW).license();
    assertThat(first.offlineAccessSeconds()).isEqualTo(3600);
    assertThat(bob.open(online, Right.VIEW).license().offlineAccessSeconds()).isZero();

    assertThat(node.http.post("/v1/tenants/sdk-keep/cancel", node.operatorToken(), new JsonObject()).status()).isEqualTo(200);
    LicensorClient.Opened again = bob.open(kept, Right.VIEW);
    assertThat(new String(again.content(), StandardCharsets.UTF_8)).isEqualTo("kept");
    assertThat(again.license().compact()).as("the kept license, no new one").isEqualTo(first.compact());
    assertThatThrownBy(() -> bob.open(online, Right.VIEW)).isInstanceOf(ProblemException.SubscriptionCancelled.class);
    assertThatThrownBy(() -> as(bobToken).open(kept, Right.VIEW)).isInstanceOf(ProblemException.SubscriptionCancelled.class);
    bob.forgetLicenses();
    assertThatThrownBy(() -> bob.open(kept, Right.VIEW)).isInstanceOf(ProblemException.SubscriptionCancelled.class);
  }

  @Test
  @DisplayName("429 with Retry-After: waited and retried as it says; with no retries allowed, RateLimited carrying Retry-After")
  void retryAfterIsHonoured() throws Exception {
    Issuer idp = node.createTenant("sdk-rate", "EC-P256");
    List<Duration> waits = new ArrayList<>();
    LicensorClient alice = LicensorClient.builder(server).token(idp.token("alice@sdk-rate.test", List.of()))
        .sleeper(d -> {
          synchronized (waits) {
            waits.add(d);
          }
          Thread.sleep(d.toMillis());
        }).build();
    Policy policy = Policy.of(Policy.Grant.parse("alice@sdk-rate.test:VIEW"));
    List<byte[]> files = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      files.add(protect(alice, "sdk-rate", policy, "n" + i, LicensorClient.Publishing.ONLINE)); // 4 per second allowed
    }
    assertThat(files).hasSize(10);
    assertThat(waits).as("it had to wait as the server said").isNotEmpty().allSatisfy(d -> assertThat(d).isPositive());

    LicensorClient impatient = LicensorClient.builder(server).token(idp.token("alice@sdk-rate.test", List.of()))
        .retries(0, Duration.ofSeconds(30)).build();
    AtomicInteger limited = new AtomicInteger();
    for (int i = 0; i < 10 && limited.get() == 0; i++) {
      try {
        protect(impatient, "sdk-rate", policy, "x", LicensorClient.Publishing.ONLINE);
      } catch (ProblemException.RateLimited e) {
        assertThat(e.status()).isEqualTo(429);
        assertThat(e.retryAfter()).isPresent();
        limited.incrementAndGet();
      }
    }
    assertThat(limited).hasValue(1);
  }

  @Test
  @DisplayName("a changed container opens to nothing; something that is not one says so; a revoked document is ContentRevoked")
  void tamperedNotProtectedRevoked() throws Exception {
    Issuer idp = node.createTenant("sdk-tamper", "RSA-2048");
    LicensorClient alice = as(idp.token("alice@sdk-tamper.test", List.of()));
    byte[] file = protect(alice, "sdk-tamper", Policy.of(Policy.Grant.parse("alice@sdk-tamper.test:OWNER")), "secret",
        LicensorClient.Publishing.OFFLINE);
    byte[] changed = file.clone();
    changed[changed.length - 20] ^= 1;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThatThrownBy(() -> alice.open(new ByteArrayInputStream(changed), out, Right.VIEW))
        .isInstanceOfSatisfying(LicensorException.ContentException.class, e -> assertThat(e.tampered()).isTrue());
    assertThat(out.size()).as("nothing written").isZero();
    assertThatThrownBy(() -> alice.open("plain text".getBytes(StandardCharsets.UTF_8), Right.VIEW))
        .isInstanceOfSatisfying(LicensorException.ContentException.class, e -> assertThat(e.tampered()).isFalse());

    String contentId = ProtectedContainer.read(new ByteArrayInputStream(file)).contentId();
    String admin = idp.token("admin@sdk-tamper.test", List.of("tenant-admin"));
    assertThat(node.http.send("PUT", "/v1/tenants/sdk-tamper/documents/" + contentId + "/revocation", admin, "{}",
        java.util.Map.of()).status()).isEqualTo(200);
    assertThatThrownBy(() -> as(idp.token("alice@sdk-tamper.test", List.of())).open(file, Right.VIEW))
        .isInstanceOf(ProblemException.ContentRevoked.class);
  }

  @Test
  @DisplayName("a delegated use license is refused when jwks.json lists its key without the certificate, or with another key's certificate")
  void delegatedKeyNeedsItsCertificate() throws Exception {
    Issuer idp = node.createTenant("sdk-x5c", "RSA-2048");
    LicensorClient alice = as(idp.token("alice@sdk-x5c.test", List.of()));
    byte[] file = protect(alice, "sdk-x5c", Policy.of(Policy.Grant.parse("alice@sdk-x5c.test:VIEW")), "x5c",
        LicensorClient.Publishing.OFFLINE);
    delegatedLicense(alice, file);

    // a man in the middle of jwks.json (this proxy) drops the delegated keys' certificates
    try (JwksProxy proxy = new JwksProxy(jwks -> {
      for (Object k : jwks.getJsonArray("keys")) {
        ((JsonObject) k).remove("x5c");
      }
      return jwks;
    })) {
      LicensorClient viaProxy = LicensorClient.builder(proxy.uri()).token(idp.token("alice@sdk-x5c.test", List.of())).build();
      assertThatThrownBy(() -> viaProxy.open(file, Right.VIEW)).isInstanceOf(LicensorException.LicenseRejectedException.class)
          .hasMessageContaining("without its certificate");
    }
    // ... or lists it with a certificate of another key, which the version did not sign
    String foreign = SelfSigned.certificateBase64();
    try (JwksProxy proxy = new JwksProxy(jwks -> {
      JsonArray keys = jwks.getJsonArray("keys");
      JsonObject delegated = null;
      for (Object k : keys) {
        if (((JsonObject) k).containsKey("x5c")) {
          delegated = (JsonObject) k;
        }
      }
      if (delegated != null) {
        delegated.put("x5c", new JsonArray().add(foreign));
      }
      return jwks;
    })) {
      LicensorClient viaProxy = LicensorClient.builder(proxy.uri()).token(idp.token("alice@sdk-x5c.test", List.of())).build();
      assertThatThrownBy(() -> viaProxy.open(file, Right.VIEW)).isInstanceOf(LicensorException.LicenseRejectedException.class);
    }
  }

  /**
   * A license signed by a delegated key: a tenant's first licenses are signed by the version's key
   * while the node's delegated key is registered (it signs two seconds later, once every node lists it).
   */
  static UseLicense delegatedLicense(LicensorClient client, byte[] file) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (true) {
      client.forgetLicenses();
      UseLicense license = client.open(file, Right.VIEW).license();
      if (license.delegated() || System.nanoTime() > deadline) {
        assertThat(license.delegated()).as("a delegated license within 20 s: %s", license.kid()).isTrue();
        return license;
      }
      Thread.sleep(200);
    }
  }

  /** A certificate of some other key (made here with BouncyCastle). */
  static final class SelfSigned {
    static String certificateBase64() throws Exception {
      java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
      g.initialize(256);
      java.security.KeyPair pair = g.generateKeyPair();
      org.bouncycastle.asn1.x500.X500Name name = new org.bouncycastle.asn1.x500.X500Name("CN=sdk-x5c:1.999, O=licensor");
      java.util.Date now = new java.util.Date();
      org.bouncycastle.cert.X509CertificateHolder holder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name,
          java.math.BigInteger.ONE, new java.util.Date(now.getTime() - 60_000), new java.util.Date(now.getTime() + 86_400_000L),
          name, pair.getPublic()).build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
          .build(pair.getPrivate()));
      return java.util.Base64.getEncoder().encodeToString(holder.getEncoded());
    }
  }

  /** An HTTP proxy in front of the node that rewrites jwks.json answers (everything else passes unchanged). */
  static final class JwksProxy implements AutoCloseable {
    private final HttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    JwksProxy(UnaryOperator<JsonObject> rewrite) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", exchange -> {
        try {
          byte[] body = exchange.getRequestBody().readAllBytes();
          HttpRequest.Builder forward = HttpRequest.newBuilder(LicensorClientTest.server.resolve(
              exchange.getRequestURI().toString().substring(1)))
              .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                  : HttpRequest.BodyPublishers.ofByteArray(body));
          exchange.getRequestHeaders().forEach((name, values) -> {
            if (name.equalsIgnoreCase("Authorization") || name.equalsIgnoreCase("Content-Type")) {
              values.forEach(v -> forward.header(name, v));
            }
          });
          HttpResponse<byte[]> answer = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
          byte[] out = answer.body();
          if (exchange.getRequestURI().getPath().endsWith("/jwks.json") && answer.statusCode() == 200) {
            out = rewrite.apply(new JsonObject(new String(out, StandardCharsets.UTF_8))).encode().getBytes(StandardCharsets.UTF_8);
          }
          answer.headers().firstValue("Content-Type").ifPresent(v -> exchange.getResponseHeaders().add("Content-Type", v));
          answer.headers().firstValue("Retry-After").ifPresent(v -> exchange.getResponseHeaders().add("Retry-After", v));
          exchange.sendResponseHeaders(answer.statusCode(), out.length == 0 ? -1 : out.length);
          try (OutputStream o = exchange.getResponseBody()) {
            o.write(out);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          exchange.sendResponseHeaders(502, -1);
        } finally {
          exchange.close();
        }
      });
      server.start();
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
