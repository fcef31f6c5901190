package io.licensor.tls;

import io.licensor.cli.Cli;
import io.licensor.support.TestNode;
import io.licensor.support.Trust;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * HTTPS as a client meets it: the embedded default's self-signed certificate, a certificate from
 * PEM files made by OpenSSL (an independent tool), TLS 1.2 and 1.3 only, no plain HTTP on the TLS
 * port, and the command line's trust (--cacert, or the local node's certificate).
 */
class TlsTest {

  private static final JsonObject HTTPS = new JsonObject().put("http", new JsonObject().put("plaintext", false));

  @Test
  @DisplayName("the CLI says which scheme a port speaks: http:// against HTTPS, https:// against plain HTTP")
  void wrongScheme() {
    try (TestNode https = TestNode.start(HTTPS); TestNode plain = TestNode.start()) {
      Cli.Result toHttps = Cli.run(List.of("tenant", "show", "x", "--server", "http://127.0.0.1:" + https.node.port(),
          "--token", https.operatorToken()));
      assertThat(toHttps.exitCode()).as(toHttps.toString()).isEqualTo(3);
      assertThat(toHttps.err()).contains("probably serves HTTPS", "https://127.0.0.1:" + https.node.port())
          .doesNotContain("header parser");
      Cli.Result toPlain = Cli.run(List.of("tenant", "show", "x", "--server", "https://127.0.0.1:" + plain.node.port(),
          "--token", plain.operatorToken()));
      assertThat(toPlain.exitCode()).as(toPlain.toString()).isEqualTo(3);
      assertThat(toPlain.err()).contains("did not answer TLS", "plain HTTP");
    }
  }

  @Test
  @DisplayName("the embedded default serves HTTPS with a self-signed certificate for localhost, kept across restarts")
  void selfSignedByDefault() throws Exception {
    String fingerprint;
    Path dataDir;
    try (TestNode node = TestNode.start(HTTPS)) {
      dataDir = node.dataDir;
      Path cert = dataDir.resolve("tls/cert.pem");
      Path key = dataDir.resolve("tls/key.pem");
      assertThat(cert).exists();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
      X509Certificate x509 = Trust.read(cert);
      fingerprint = Certificates.fingerprint(x509);
      assertThat(opensslFingerprint(cert)).isEqualTo(fingerprint);

      int port = node.node.port();
      HttpClient client = Trust.trusting(cert);
      for (String host : List.of("127.0.0.1", "localhost")) {
        HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create("https://" + host + ":" + port + "/health/ready"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(host).isEqualTo(200);
      }
      // a client that does not trust it gets no answer at all
      assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("https://127.0.0.1:" + port + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(SSLHandshakeException.class);
      // plain HTTP on the TLS port gets no HTTP answer
      assertThatThrownBy(() -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);

      assertThat(handshake(cert, port, "TLSv1.3")).isEqualTo("TLSv1.3");
      assertThat(handshake(cert, port, "TLSv1.2")).isEqualTo("TLSv1.2");
      assertThat(opensslConnects(port, "-tls1_2")).isTrue();
      assertThat(opensslConnects(port, "-tls1_1")).as("TLS 1.1 refused").isFalse();
      // TLS 1.2: forward-secret AEAD suites only
      assertThat(opensslConnects(port, "-tls1_2", "ECDHE-ECDSA-AES128-GCM-SHA256")).isTrue();
      assertThat(opensslConnects(port, "-tls1_2", "ECDHE-ECDSA-CHACHA20-POLY1305")).isTrue();
      assertThat(opensslConnects(port, "-tls1_2", "ECDHE-ECDSA-AES128-SHA")).as("CBC refused").isFalse();
      assertThat(opensslConnects(port, "-tls1_2", "ECDHE-ECDSA-AES256-SHA384")).as("CBC refused").isFalse();
      assertThat(opensslConnects(port, "-tls1")).as("TLS 1.0 refused").isFalse();
    }
    try (TestNode again = TestNode.start(HTTPS.copy().put("dataDir", dataDir.toString()))) {
      assertThat(Certificates.fingerprint(Trust.read(dataDir.resolve("tls/cert.pem")))).isEqualTo(fingerprint);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"openssl", "jdk"})
  @DisplayName("on either TLS engine the policy holds: TLS 1.2 and 1.3 only, AEAD suites only, no client renegotiation")
  void eitherEngine(String engine) throws Exception {
    try (TestNode node = TestNode.start(HTTPS.copy().put("http", HTTPS.getJsonObject("http").copy().put("tlsEngine", engine)))) {
      Path cert = node.dataDir.resolve("tls/cert.pem");
      int port = node.node.port();
      HttpResponse<String> ready = Trust.trusting(cert).send(HttpRequest.newBuilder(
          URI.create("https://localhost:" + port + "/health/ready")).header("Authorization", "Bearer " + node.operatorToken())
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);
      JsonObject tls = new JsonObject(ready.body()).getJsonObject("checks").getJsonObject("tls");
      assertThat(tls.getString("engine")).startsWith(engine.equals("openssl") ? "OpenSSL" : "JDK");
      assertThat(tls.getBoolean("nativeCode")).isEqualTo(engine.equals("openssl"));
      assertThat(handshake(cert, port, "TLSv1.3")).isEqualTo("TLSv1.3");
      assertThat(handshake(cert, port, "TLSv1.2")).isEqualTo("TLSv1.2");
      assertThat(opensslConnects(port, "-tls1_1")).as("TLS 1.1 refused").isFalse();
      assertThat(opensslConnects(port, "-tls1_2", "ECDHE-ECDSA-AES128-GCM-SHA256")).isTrue();
      assertThat(opensslConnects(port, "-tls1_2", "ECDHE-ECDSA-AES128-SHA")).as("CBC refused").isFalse();
      assertThat(opensslConnects(port, "-tls1_2", "ECDHE-ECDSA-AES256-SHA384")).as("CBC refused").isFalse();
      // a TLS 1.2 client's renegotiation ('R' in s_client) is refused, and the connection serves nothing after it
      String out = io.licensor.support.OpenSslClient.renegotiateThenRequest(port);
      assertThat(out).contains("RENEGOTIATING");
      assertThat(out).as(out).doesNotContain("HTTP/1.1 200");
    }
  }

  @Test
  @DisplayName("a certificate and key from PEM files (made by OpenSSL) are served; a key of another certificate stops start-up")
  void configuredCertificate(@TempDir Path dir) throws Exception {
    Path cert = dir.resolve("server.crt");
    Path key = dir.resolve("server.key");
    Path otherCert = dir.resolve("other.crt");
    Path otherKey = dir.resolve("other.key");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(),
        "-subj", "/CN=licensor.test", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "2");
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", otherKey.toString(),
        "-out", otherCert.toString(), "-subj", "/CN=other.test", "-days", "2");
    JsonObject tls = new JsonObject().put("certFile", cert.toString()).put("keyFile", key.toString());
    try (TestNode node = TestNode.start(new JsonObject().put("http", new JsonObject().put("plaintext", false).put("tls", tls)))) {
      assertThat(node.dataDir.resolve("tls")).doesNotExist();
      HttpResponse<String> ready = Trust.trusting(cert).send(HttpRequest.newBuilder(
          URI.create("https://localhost:" + node.node.port() + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.sslSession().orElseThrow().getPeerCertificates()[0]).isEqualTo(Trust.read(cert));

      // the CLI: trusted with --cacert; refused with a clear message without it
      Cli.Result ok = Cli.run(List.of("tenant", "show", "nobody", "--server", "https://localhost:" + node.node.port(),
          "--cacert", cert.toString(), "--token", node.operatorToken()));
      assertThat(ok.exit()).as(ok.err()).isEqualTo(1);
      assertThat(ok.err()).contains("tenant-not-found");
      Cli.Result untrusted = Cli.run(List.of("tenant", "show", "nobody", "--server", "https://localhost:" + node.node.port(),
          "--token", node.operatorToken()));
      assertThat(untrusted.exit()).isEqualTo(3);
      assertThat(untrusted.err()).contains("--cacert").doesNotContain(node.operatorToken());
    }
    JsonObject wrong = new JsonObject().put("certFile", cert.toString()).put("keyFile", otherKey.toString());
    assertThatThrownBy(() -> TestNode.start(new JsonObject().put("http", new JsonObject().put("plaintext", false).put("tls", wrong))))
        .hasStackTraceContaining("http.tls.keyFile: the key does not belong to the certificate");
  }

  /** The protocol a handshake with only {@code protocol} enabled agreed on. */
  private static String handshake(Path pem, int port, String protocol) throws Exception {
    try (SSLSocket socket = (SSLSocket) Trust.context(pem).getSocketFactory().createSocket("127.0.0.1", port)) {
      SSLParameters params = socket.getSSLParameters();
      params.setProtocols(new String[] {protocol});
      params.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(params);
      socket.startHandshake();
      return socket.getSession().getProtocol();
    }
  }

  /** OpenSSL's client, old protocols allowed on its side (security level 0): does the handshake succeed? */
  private static boolean opensslConnects(int port, String protocolFlag) throws Exception {
    return opensslConnects(port, protocolFlag, "DEFAULT");
  }

  /** The same with only {@code ciphers} offered (TLS 1.2 and below). */
  private static boolean opensslConnects(int port, String protocolFlag, String ciphers) throws Exception {
    Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, protocolFlag,
        "-cipher", ciphers + ":@SECLEVEL=0", "-brief").redirectErrorStream(true).start();
    p.getOutputStream().close();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes());
    return p.exitValue() == 0 && out.contains("CONNECTION ESTABLISHED");
  }

  private static String opensslFingerprint(Path cert) throws Exception {
    String out = openssl("x509", "-in", cert.toString(), "-noout", "-fingerprint", "-sha256");
    return out.substring(out.indexOf('=') + 1).strip();
  }

  private static String openssl(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
