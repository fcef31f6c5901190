package io.licensor.identity.remote;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Fetches a document of an identity provider (its discovery document, its JWK Set) the way a
 * service that takes URLs from its tenants must: HTTPS only, no redirects, no proxy, bounded in
 * time and size, and only from addresses {@link AllowedNetworks} allows. The address is checked
 * twice: every address the name resolves to before connecting (a clear error), and the address the
 * TLS connection actually reached, in the handshake, before a byte of the request is sent (so a
 * name that resolves to a public address for the check and to a private one for the connection is
 * refused all the same). Blocking: runs on a worker, never on an event loop.
 */
public final class GuardedFetcher {

  /** A fetched document and the {@code max-age} its response allowed, -1 when it said nothing. */
  public record Fetched(String content, String contentType, long maxAgeSeconds) {
  }

  private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])(?:s-)?max-age\\s*=\\s*\"?(\\d{1,10})");

  private final AllowedNetworks allowed;
  private final SSLContext tls;
  private final int timeoutMs;
  private final int maxBytes;

  /** {@code trustFile}: PEM CA certificates to trust instead of the JDK's, or null. */
  public GuardedFetcher(AllowedNetworks allowed, Path trustFile, int timeoutMs, int maxBytes) throws GeneralSecurityException, IOException {
    this.allowed = allowed;
    this.timeoutMs = timeoutMs;
    this.maxBytes = maxBytes;
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trustFile == null ? null : trustStore(trustFile));
    X509ExtendedTrustManager base = null;
    for (TrustManager tm : factory.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        base = x;
      }
    }
    if (base == null) {
      throw new GeneralSecurityException("no X.509 trust manager");
    }
    tls = SSLContext.getInstance("TLS");
    tls.init(null, new TrustManager[] {new AddressCheckingTrustManager(base, allowed)}, null);
  }

  public Fetched fetch(URL url) throws IOException {
    if (!"https".equalsIgnoreCase(url.getProtocol())) {
      throw new IOException("only https URLs are fetched");
    }
    if (url.getUserInfo() != null) {
      throw new IOException("a URL with user information is not fetched");
    }
    String host = url.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    for (InetAddress address : InetAddress.getAllByName(host)) {
      if (!allowed.allows(address)) {
        throw new IOException(url.getHost() + " resolves to " + address.getHostAddress() + ", which identity.remoteKeys.allowedNetworks does not allow (" + allowed + ")");
      }
    }
    HttpsURLConnection connection = (HttpsURLConnection) url.openConnection(Proxy.NO_PROXY);
    try {
      connection.setSSLSocketFactory(tls.getSocketFactory());
      connection.setInstanceFollowRedirects(false);
      connection.setUseCaches(false);
      connection.setConnectTimeout(timeoutMs);
      connection.setReadTimeout(timeoutMs);
      connection.setRequestProperty("Accept", "application/json, application/jwk-set+json");
      connection.setRequestProperty("User-Agent", "licensor");
      int status = connection.getResponseCode();
      if (status / 100 == 3) {
        throw new IOException(url.getHost() + " answered a redirect (HTTP " + status + "), which is not followed");
      }
      if (status != HttpURLConnection.HTTP_OK) {
        throw new IOException(url.getHost() + " answered HTTP " + status);
      }
      long declared = connection.getContentLengthLong();
      if (declared > maxBytes) {
        throw new IOException("the document is larger than " + maxBytes + " bytes");
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      try (InputStream in = connection.getInputStream()) {
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) >= 0; ) {
          body.write(buffer, 0, n);
          if (body.size() > maxBytes) {
            throw new IOException("the document is larger than " + maxBytes + " bytes");
          }
        }
      }
      return new Fetched(body.toString(StandardCharsets.UTF_8), connection.getContentType(),
          maxAge(connection.getHeaderField("Cache-Control")));
    } finally {
      connection.disconnect();
    }
  }

  /** The freshness a Cache-Control header gives: max-age in seconds, 0 for no-store/no-cache, -1 when absent. */
  static long maxAge(String cacheControl) {
    if (cacheControl == null) {
      return -1;
    }
    String lower = cacheControl.toLowerCase(Locale.ROOT);
    if (lower.contains("no-store") || lower.contains("no-cache")) {
      return 0;
    }
    Matcher m = MAX_AGE.matcher(lower);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static KeyStore trustStore(Path file) throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    int i = 0;
    try (InputStream in = Files.newInputStream(file)) {
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, cert);
      }
    }
    if (i == 0) {
      throw new CertificateException(file + " holds no PEM certificate");
    }
    return store;
  }

  /** Refuses a TLS peer whose address is not allowed, then checks its certificate as the JDK does. */
  private static final class AddressCheckingTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager base;
    private final AllowedNetworks allowed;

    AddressCheckingTrustManager(X509ExtendedTrustManager base, AllowedNetworks allowed) {
      this.base = base;
      this.allowed = allowed;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      InetAddress peer = socket == null ? null : socket.getInetAddress();
      if (peer == null || !allowed.allows(peer)) {
        throw new CertificateException("the connection reached an address identity.remoteKeys.allowedNetworks does not allow");
      }
      base.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("only socket connections are checked");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("only socket connections are checked");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return base.getAcceptedIssuers();
    }
  }
}
