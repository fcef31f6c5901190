package io.licensor.support;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real Keycloak (its Quarkus distribution, unpacked by Maven under target/keycloak) started in
 * development mode on loopback over HTTPS with a certificate made for the run, an in-memory
 * database, and a bootstrap admin whose password exists only for the run. Keycloak needs a JDK 21
 * or newer: {@code LICENSOR_TEST_KEYCLOAK_JAVA_HOME}, else the newest such JDK under
 * /usr/lib/jvm. Without one (or without the distribution) the test is skipped, saying why, unless
 * {@code LICENSOR_REQUIRE_KEYCLOAK=true} (CI), where that is a failure.
 */
public final class Keycloak implements Leftovers.Running, AutoCloseable {

  private final Process process;
  private final Path work;
  private final int port;
  private final String adminPassword;
  private final HttpClient http;
  public final Path certificate;

  private Keycloak(Process process, Path work, int port, String adminPassword, Path certificate, HttpClient http) {
    this.process = process;
    this.work = work;
    this.port = port;
    this.adminPassword = adminPassword;
    this.certificate = certificate;
    this.http = http;
  }

  public static Keycloak start() throws Exception {
    Path home = Path.of(System.getProperty("licensor.keycloak.home", "target/keycloak/none"));
    Optional<Path> java = javaHome();
    String missing = !Files.isExecutable(home.resolve("bin/kc.sh")) ? "no Keycloak distribution at " + home
        + " (mvn test unpacks it)" : java.isEmpty() ? "no JDK 21 or newer for Keycloak (set LICENSOR_TEST_KEYCLOAK_JAVA_HOME)" : null;
    if (missing != null) {
      if ("true".equals(System.getenv("LICENSOR_REQUIRE_KEYCLOAK"))) {
        throw new IllegalStateException("LICENSOR_REQUIRE_KEYCLOAK is set but " + missing);
      }
      Assumptions.abort(missing);
    }
    Path work = Files.createTempDirectory("keycloak-");
    Path cert = work.resolve("cert.pem");
    Path key = work.resolve("key.pem");
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).redirectOutput(work.resolve("openssl.log").toFile())
        .start();
    if (!openssl.waitFor(60, TimeUnit.SECONDS) || openssl.exitValue() != 0) {
      throw new IllegalStateException("openssl could not make Keycloak's certificate: " + Files.readString(work.resolve("openssl.log")));
    }
    int port = ClusterFixture.freePorts(1)[0];
    String password = "kc-" + UUID.randomUUID();
    ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev", "--db=dev-mem",
        "--http-enabled=false", "--https-port=" + port, "--http-host=127.0.0.1", "--hostname-strict=false",
        "--https-certificate-file=" + cert, "--https-certificate-key-file=" + key, "--log-level=WARN")
        .redirectErrorStream(true).redirectOutput(work.resolve("keycloak.log").toFile());
    pb.environment().put("JAVA_HOME", java.get().toString());
    pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
    pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", password);
    pb.environment().put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m");
    Keycloak kc = new Keycloak(pb.start(), work, port, password, cert, client(cert));
    Leftovers.started(kc);
    long deadline = System.currentTimeMillis() + TestTime.scaledMillis(240_000);
    while (System.currentTimeMillis() < deadline) {
      if (!kc.process.isAlive()) {
        throw new IllegalStateException("Keycloak exited: " + Files.readString(work.resolve("keycloak.log")));
      }
      try {
        if (kc.get("/realms/master/.well-known/openid-configuration").statusCode() == 200) {
          return kc;
        }
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(500);
    }
    kc.stop();
    throw new IllegalStateException("Keycloak did not start in time: " + Files.readString(work.resolve("keycloak.log")));
  }

  /** A JDK of version 21 or later: the one named, else the newest under /usr/lib/jvm. */
  static Optional<Path> javaHome() throws IOException {
    String named = System.getenv("LICENSOR_TEST_KEYCLOAK_JAVA_HOME");
    if (named != null && !named.isBlank()) {
      return Optional.of(Path.of(named));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (Stream<Path> dirs = Files.list(jvms)) {
      return dirs.filter(d -> Files.isExecutable(d.resolve("bin/java")) && major(d) >= 21)
          .max((x, y) -> Integer.compare(major(x), major(y)));
    }
  }

  private static int major(Path jdk) {
    try {
      for (String line : Files.readAllLines(jdk.resolve("release"))) {
        if (line.startsWith("JAVA_VERSION=")) {
          String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
          return Integer.parseInt(v.split("[.+-]")[0]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }

  private static HttpClient client(Path cert) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    store.setCertificateEntry("keycloak", CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(cert))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
  }

  public String base() {
    return "https://127.0.0.1:" + port;
  }

  public String issuer(String realm) {
    return base() + "/realms/" + realm;
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String form(Map<String, String> fields) {
    return fields.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
  }

  /** A token of {@code realm}'s {@code client} for a user, by the password grant; fails naming Keycloak's answer. */
  public String userToken(String realm, String client, String username, String password) {
    return token(realm, Map.of("grant_type", "password", "client_id", client, "username", username, "password", password));
  }

  private String token(String realm, Map<String, String> fields) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(issuer(realm) + "/protocol/openid-connect/token"))
          .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(form(fields))).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("Keycloak refused a token of realm " + realm + ": " + r.statusCode() + " " + r.body());
      }
      return new JsonObject(r.body()).getString("access_token");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A call of Keycloak's admin REST API as the bootstrap admin; returns the status and body. */
  public HttpResponse<String> admin(String method, String path, JsonObject body) {
    String token = token("master", Map.of("grant_type", "password", "client_id", "admin-cli", "username", "admin",
        "password", adminPassword));
    try {
      return http.send(HttpRequest.newBuilder(URI.create(base() + "/admin/realms" + path)).timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()))
          .build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean running() {
    return process.isAlive();
  }

  @Override
  public void stop() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Leftovers.stopped(this);
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String describe() {
    return "Keycloak on " + base();
  }
}
