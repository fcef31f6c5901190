package io.licensor.support;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** OpenSSL's own TLS client (openssl s_client) against a local HTTPS port. */
public final class OpenSslClient {

  private OpenSslClient() {
  }

  /**
   * Connects with TLS 1.2, asks for a renegotiation ('R'), then sends a request; returns what
   * s_client printed. A server that refuses client renegotiation closes the connection, so the
   * output has RENEGOTIATING and no HTTP answer.
   */
  public static String renegotiateThenRequest(int port) throws Exception {
    Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_2",
        "-servername", "localhost").redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      Thread.sleep(1500);
      in.write("R\n".getBytes(StandardCharsets.US_ASCII));
      in.flush();
      Thread.sleep(1500);
      in.write("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      in.flush();
      Thread.sleep(1500);
    } catch (IOException e) {
      // the server closed the connection: what a refusing server does
    }
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }
}
