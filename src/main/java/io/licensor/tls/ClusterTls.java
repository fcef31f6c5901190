package io.licensor.tls;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.jce.spec.ECNamedCurveParameterSpec;
import org.bouncycastle.math.ec.ECPoint;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Mutual TLS for the clustered event bus, with nothing to configure: membership is possession of
 * the security world. Every node derives the same event-bus CA key from a secret its HSM makes
 * with the world's MAC key ({@link #SECRET_LABEL}; so a node whose world lives on a PKCS#11 token
 * alone derives it too) through HKDF-SHA256 with a label of its own (the CA key reveals nothing
 * of the world's keys), issues a certificate
 * for a fresh key of its own, and trusts only certificates that CA signed. A process without the
 * world can neither read the event bus nor speak on it.
 */
public final class ClusterTls {

  static final byte[] LABEL = "licensor event-bus CA v1".getBytes(StandardCharsets.US_ASCII);
  /** What the world's MAC key is applied to, in the HSM, to make the event-bus CA's secret. */
  public static final byte[] SECRET_LABEL = "licensor event-bus CA secret/1".getBytes(StandardCharsets.US_ASCII);

  private ClusterTls() {
  }

  /** Turns on TLS, client certificates required, on these options for a node of this world. */
  public static void apply(EventBusOptions options, String worldId, byte[] secret, String host) {
    KeyPair ca = caKey(worldId, secret);
    String caName = "licensor event bus CA " + worldId;
    X509Certificate caCert = Certificates.issue(caName, ca.getPublic(), caName, ca.getPrivate(), List.of(),
        Duration.ofDays(3650), true);
    KeyPair node = Certificates.newEcKeyPair();
    List<String> names = host.equals("127.0.0.1") ? List.of("127.0.0.1") : List.of(host, "127.0.0.1");
    X509Certificate nodeCert = Certificates.issue("licensor node", node.getPublic(), caName, ca.getPrivate(), names,
        Duration.ofDays(3650), false);
    options.setSsl(true)
        .setClientAuth(ClientAuth.REQUIRED)
        .setTrustAll(false)
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertValue(Buffer.buffer(Certificates.pem(nodeCert) + Certificates.pem(caCert)))
            .setKeyValue(Buffer.buffer(Certificates.pem(node.getPrivate()))))
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(Certificates.pem(caCert))));
  }

  /** The world's event-bus CA key pair (EC P-256), the same on every node of the world. */
  static KeyPair caKey(String worldId, byte[] secret) {
    byte[] ikm = secret.clone();
    byte[] okm = new byte[48];
    try {
      HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
      hkdf.init(new HKDFParameters(ikm, worldId.getBytes(StandardCharsets.UTF_8), LABEL));
      hkdf.generateBytes(okm, 0, okm.length);
      ECNamedCurveParameterSpec curve = ECNamedCurveTable.getParameterSpec("secp256r1");
      BigInteger n = curve.getN();
      // 384 bits reduced mod n-1, plus 1: uniform enough (bias < 2^-128) and never 0
      BigInteger d = new BigInteger(1, okm).mod(n.subtract(BigInteger.ONE)).add(BigInteger.ONE);
      ECPoint q = curve.getG().multiply(d).normalize();
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
      parameters.init(new ECGenParameterSpec("secp256r1"));
      ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
      KeyFactory factory = KeyFactory.getInstance("EC");
      PrivateKey privateKey = factory.generatePrivate(new ECPrivateKeySpec(d, spec));
      PublicKey publicKey = factory.generatePublic(new ECPublicKeySpec(
          new java.security.spec.ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), spec));
      return new KeyPair(publicKey, privateKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot derive the event-bus CA key", e);
    } finally {
      Arrays.fill(ikm, (byte) 0);
      Arrays.fill(okm, (byte) 0);
    }
  }
}
