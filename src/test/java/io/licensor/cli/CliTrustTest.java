package io.licensor.cli;

import io.licensor.tls.ServerCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review's item 18: the command line trusted the local node's self-signed certificate
 * ({@code $LICENSOR_DATA_DIR/tls/cert.pem}) for every host it talked to. It does so for a server on
 * loopback only; any other server must be trusted by the system's CAs or by --cacert.
 */
@DisplayName("The command line trusts the local node's certificate for the local node only")
class CliTrustTest {

  @AfterEach
  void processEnvironment() {
    Env.use(null, null);
  }

  @Test
  @DisplayName("a data directory's self-signed certificate is trusted for 127.0.0.1, ::1 and localhost, not for another host")
  void localCertificateForLoopbackOnly(@TempDir Path dataDir) throws Exception {
    Path cert = ServerCertificate.selfSignedCertificate(dataDir);
    Files.createDirectories(cert.getParent());
    Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", dataDir.resolve("key.pem").toString(), "-out", cert.toString(), "-subj", "/CN=localhost", "-days", "2")
        .redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(cert).exists();
    Env.use(Map.of("LICENSOR_DATA_DIR", dataDir.toString()), null);
    SSLContext system = SSLContext.getDefault();
    for (String local : List.of("https://127.0.0.1:8443", "https://[::1]:8443", "https://localhost:8443", "https://127.0.0.2:9443")) {
      assertThat(CliTrust.client(null, URI.create(local)).sslContext()).as(local + " trusts the local certificate").isNotSameAs(system);
    }
    for (String remote : List.of("https://kms.contoso.example:8443", "https://192.0.2.10:8443", "https://localhost.evil.example")) {
      assertThat(CliTrust.client(null, URI.create(remote)).sslContext()).as(remote + " trusts the system's CAs only").isSameAs(system);
    }
  }
}
