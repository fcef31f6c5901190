package io.licensor.support;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;

/** TLS clients for tests that trust exactly one certificate (a node's self-signed one, say). */
public final class Trust {

  private Trust() {
  }

  public static X509Certificate read(Path pem) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(Files.readAllBytes(pem)));
  }

  /** An SSL context that trusts the certificate in {@code pem} and nothing else. */
  public static SSLContext context(Path pem) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    store.setCertificateEntry("server", read(pem));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** An HTTP client that trusts the certificate in {@code pem} only. */
  public static HttpClient trusting(Path pem) throws Exception {
    return HttpClient.newBuilder().sslContext(context(pem)).connectTimeout(Duration.ofSeconds(5)).build();
  }
}
