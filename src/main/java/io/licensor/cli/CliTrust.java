package io.licensor.cli;

import io.licensor.tls.ServerCertificate;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Which HTTPS servers the command line trusts: the system's CAs, plus the PEM certificates of
 * {@code --cacert} / {@code $LICENSOR_CA_FILE}, or else the self-signed certificate of a node on
 * this machine ({@code $LICENSOR_DATA_DIR/tls/cert.pem}, default {@code data/tls/cert.pem}) when
 * there is one and the server is on loopback. Host names are always verified; nothing is ever
 * trusted blindly.
 */
final class CliTrust {

  private static final Map<String, HttpClient> CLIENTS = new ConcurrentHashMap<>();

  private CliTrust() {
  }

  /**
   * One client per trust set for the whole process (each HttpClient has its own selector thread).
   * The local node's self-signed certificate is trusted for {@code server} only when that is a
   * loopback address: its key sits in a data directory on this machine, and must not vouch for any
   * other host a DNS answer or a typo sends the command line to.
   */
  static HttpClient client(Path caFile, URI server) {
    if (server != null && "http".equals(server.getScheme()) && caFile == null) {
      // plain HTTP: no TLS will be spoken, so no trust store need be read (reading the JDK's CAs is a
      // good part of a command's start); a redirect is never followed to an https:// URL either
      return CLIENTS.computeIfAbsent("(plain http)", k -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
          .version(HttpClient.Version.HTTP_1_1).sslContext(trustingNothing()).build());
    }
    Path extra = caFile;
    if (extra == null && Env.get("LICENSOR_CA_FILE") != null) {
      extra = Path.of(Env.get("LICENSOR_CA_FILE"));
    }
    boolean explicit = extra != null;
    if (extra == null && loopback(server)) {
      String dataDir = Env.get("LICENSOR_DATA_DIR");
      Path local = ServerCertificate.selfSignedCertificate(Path.of(dataDir != null ? dataDir : "data"));
      extra = Files.isReadable(local) ? local : null;
    }
    Path trusted = extra;
    String key = trusted == null ? "" : trusted.toAbsolutePath().toString();
    return CLIENTS.computeIfAbsent(key, k -> build(trusted, explicit));
  }

  /**
   * A client for an identity provider ({@code licensor login}): the system's CAs, plus those of
   * {@code caFile} if given; never the local node's certificate; no redirects followed.
   */
  static HttpClient identityProvider(Path caFile) {
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER);
    if (caFile != null) {
      builder.sslContext(context(caFile, "--idp-cacert"));
    }
    return builder.build();
  }

  /** A TLS context that trusts no certificate at all (for a client that speaks plain HTTP only). */
  private static SSLContext trustingNothing() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[0], null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS", e);
    }
  }

  /** 127.0.0.0/8, ::1 or localhost, without asking a resolver about any other name. */
  static boolean loopback(URI server) {
    String host = server == null ? null : server.getHost();
    if (host == null) {
      return false;
    }
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if ("localhost".equalsIgnoreCase(h)) {
      return true;
    }
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false; // a name other than localhost: not resolved here
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static HttpClient build(Path extra, boolean explicit) {
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .version(HttpClient.Version.HTTP_1_1);
    if (extra != null) {
      builder.sslContext(context(extra, explicit ? "--cacert" : "the local node's certificate"));
    }
    return builder.build();
  }

  private static SSLContext context(Path pemFile, String what) {
    List<X509Certificate> extra = new ArrayList<>();
    try {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pemFile)));
      certs.forEach(c -> extra.add((X509Certificate) c));
    } catch (IOException | CertificateException e) {
      throw new CliException(CliException.USAGE, what + " " + pemFile + ": not a readable PEM certificate file");
    }
    if (extra.isEmpty()) {
      throw new CliException(CliException.USAGE, what + " " + pemFile + ": holds no certificate");
    }
    try {
      TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      system.init((KeyStore) null);
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (TrustManager tm : system.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          for (X509Certificate ca : x.getAcceptedIssuers()) {
            store.setCertificateEntry("system-" + store.size(), ca);
          }
        }
      }
      for (X509Certificate cert : extra) {
        store.setCertificateEntry("extra-" + store.size(), cert);
      }
      TrustManagerFactory combined = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      combined.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, combined.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot set up TLS trust", e);
    }
  }
}
