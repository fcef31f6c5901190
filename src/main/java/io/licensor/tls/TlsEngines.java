package io.licensor.tls;

import io.licensor.config.ConfigException;
import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the HTTPS server's TLS runs ({@code http.tlsEngine}): OpenSSL (BoringSSL, through
 * netty-tcnative, shipped for Linux x86-64) where its native library loads, else the JDK's
 * engine. The same policy either way ({@link TlsPolicy}: protocols, cipher suites); BoringSSL
 * never renegotiates as a server, the JDK is told not to.
 */
public final class TlsEngines {

  private static final Logger LOG = LoggerFactory.getLogger(TlsEngines.class);

  /** The engine, and what to call it in the log and readiness. */
  public record Engine(SSLEngineOptions options, String description, boolean nativeCode) {
  }

  private TlsEngines() {
  }

  public static Engine choose(String setting) {
    return switch (setting) {
      case "jdk" -> jdk();
      case "openssl" -> {
        if (!OpenSsl.isAvailable()) {
          throw new ConfigException("http.tlsEngine: openssl: OpenSSL is not available on this platform ("
              + OpenSsl.unavailabilityCause() + ")");
        }
        yield openSsl();
      }
      default -> {
        if (OpenSsl.isAvailable()) {
          yield openSsl();
        }
        LOG.warn("HTTPS: OpenSSL is not available ({}); TLS runs on the JDK's engine", String.valueOf(OpenSsl.unavailabilityCause()));
        yield jdk();
      }
    };
  }

  private static Engine openSsl() {
    return new Engine(new OpenSSLEngineOptions(), "OpenSSL (" + OpenSsl.versionString() + ", netty-tcnative)", true);
  }

  private static Engine jdk() {
    return new Engine(new JdkSSLEngineOptions(), "JDK (Java " + Runtime.version().feature() + ")", false);
  }
}
