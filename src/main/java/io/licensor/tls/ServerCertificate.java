package io.licensor.tls;

import io.licensor.config.ConfigException;
import io.licensor.config.LicensorConfig;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;

/**
 * The HTTPS server's certificate and key, as PEM text: the configured files
 * ({@code http.tls.certFile}, {@code http.tls.keyFile}), or else a self-signed certificate for
 * localhost kept under {@code dataDir/tls} — made on first start, and again when it has expired.
 * Loading blocks (files, key generation): call it off the event loop.
 */
public record ServerCertificate(String certificatePem, String keyPem, String fingerprint, String description) {

  static final String DIRECTORY = "tls";
  public static final String CERT_FILE = "cert.pem";
  static final String KEY_FILE = "key.pem";
  static final Duration SELF_SIGNED_VALIDITY = Duration.ofDays(397);
  static final List<String> LOCAL_NAMES = List.of("localhost", "127.0.0.1", "::1");

  /** Where a node keeps its self-signed certificate (clients on the same machine may trust it from there). */
  public static Path selfSignedCertificate(Path dataDir) {
    return dataDir.resolve(DIRECTORY).resolve(CERT_FILE);
  }

  public static ServerCertificate load(LicensorConfig config) {
    if (config.tlsCertFile() != null) {
      return configured(Path.of(config.tlsCertFile()), Path.of(config.tlsKeyFile()));
    }
    try {
      return selfSigned(config.dataDir());
    } catch (IOException e) {
      throw new ConfigException("dataDir: cannot keep the self-signed HTTPS certificate under "
          + config.dataDir().resolve(DIRECTORY) + ": " + e.getMessage());
    }
  }

  private static ServerCertificate configured(Path certFile, Path keyFile) {
    String certPem;
    String keyPem;
    try {
      certPem = Files.readString(certFile, StandardCharsets.US_ASCII);
      keyPem = Files.readString(keyFile, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException("http.tls.certFile: cannot read the certificate or key: " + e.getMessage());
    }
    X509Certificate leaf = firstCertificate(certPem, "http.tls.certFile");
    PrivateKey key = privateKey(keyPem);
    if (!matches(key, leaf)) {
      throw new ConfigException("http.tls.keyFile: the key does not belong to the certificate in http.tls.certFile");
    }
    if (leaf.getNotAfter().before(new Date())) {
      throw new ConfigException("http.tls.certFile: the certificate expired on " + leaf.getNotAfter().toInstant());
    }
    // PKCS#8 whatever the file's form, so the TLS engine reads any of the three
    return new ServerCertificate(certPem, Certificates.pem(key), Certificates.fingerprint(leaf),
        "from " + certFile + " (" + leaf.getSubjectX500Principal().getName() + ")");
  }

  private static ServerCertificate selfSigned(Path dataDir) throws IOException {
    Path dir = dataDir.resolve(DIRECTORY);
    Path certFile = dir.resolve(CERT_FILE);
    Path keyFile = dir.resolve(KEY_FILE);
    if (Files.exists(certFile) && Files.exists(keyFile)) {
      String certPem = Files.readString(certFile, StandardCharsets.US_ASCII);
      X509Certificate cert = firstCertificate(certPem, "dataDir");
      if (cert.getNotAfter().after(Date.from(Instant.now().plus(Duration.ofDays(1))))) {
        return new ServerCertificate(certPem, Files.readString(keyFile, StandardCharsets.US_ASCII),
            Certificates.fingerprint(cert), "self-signed for localhost, " + certFile);
      }
    }
    KeyPair pair = Certificates.newEcKeyPair();
    X509Certificate cert = Certificates.issue("localhost", pair.getPublic(), "localhost", pair.getPrivate(), LOCAL_NAMES,
        SELF_SIGNED_VALIDITY, false);
    Files.createDirectories(dir);
    String keyPem = Certificates.pem(pair.getPrivate());
    Path tmpKey = Files.createTempFile(dir, "key", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmpKey, keyPem, StandardCharsets.US_ASCII);
    Files.move(tmpKey, keyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    String certPem = Certificates.pem(cert);
    Files.writeString(certFile, certPem, StandardCharsets.US_ASCII);
    return new ServerCertificate(certPem, keyPem, Certificates.fingerprint(cert), "self-signed for localhost, new, " + certFile);
  }

  static X509Certificate firstCertificate(String pem, String setting) {
    try {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      if (certs.isEmpty()) {
        throw new ConfigException(setting + ": holds no PEM certificate");
      }
      return (X509Certificate) certs.iterator().next();
    } catch (CertificateException e) {
      throw new ConfigException(setting + ": not a PEM certificate");
    }
  }

  private static PrivateKey privateKey(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
    } catch (IOException | RuntimeException e) {
      // the message may quote the file: say only what is wrong
    }
    throw new ConfigException("http.tls.keyFile: not an unencrypted PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)");
  }

  /** Signs a challenge with the key and verifies it with the certificate's public key. */
  private static boolean matches(PrivateKey key, X509Certificate cert) {
    try {
      String algorithm = Certificates.signatureAlgorithm(key);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      byte[] challenge = "licensor-tls-key-check".getBytes(StandardCharsets.US_ASCII);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "ServerCertificate[" + description + ", SHA-256 " + fingerprint + "]";
  }
}
