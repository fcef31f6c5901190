package io.licensor.tls;

import io.licensor.hsm.SoftwareHsm;
import io.licensor.support.ClusterFixture;
import io.licensor.support.TestNode;
import io.licensor.world.ModuleKeyFile;
import io.licensor.world.WorldKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The clustered event bus of a node speaks only mutual TLS, to holders of a certificate from its
 * world's event-bus CA: a plain connection, a TLS client without a certificate and one with a
 * certificate of another CA are all cut off; a client with a certificate of the world's CA stays
 * connected (the control that shows the port is the event bus). Nodes talking to each other over it
 * are {@code ClusterTest}.
 */
class EventBusTlsTest {

  static ClusterFixture cluster;
  static TestNode node;
  static int eventBusPort;
  static Path dataDir;

  @BeforeAll
  static void start() {
    cluster = new ClusterFixture();
    int[] ports = ClusterFixture.freePorts(2);
    eventBusPort = ports[1];
    dataDir = cluster.dataDir("tls");
    var settings = cluster.settings("tls", dataDir, 0, cluster.clusterName, ports[0], ClusterFixture.members(ports[0]), 60);
    settings.getJsonObject("cluster").put("eventBusPort", eventBusPort);
    node = TestNode.start(settings, dataDir, cluster.databaseUrl, cluster.operators);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @DisplayName("plain TCP, TLS without a client certificate, and a foreign CA's certificate are cut off; the world's CA is let in")
  void onlyMembersOfTheWorld() throws Exception {
    assertThat(cutOff(new Socket("127.0.0.1", eventBusPort), false)).as("plain TCP").isTrue();
    assertThat(cutOff(tls(null), true)).as("TLS, no client certificate").isTrue();

    KeyPair stranger = Certificates.newEcKeyPair();
    X509Certificate self = Certificates.issue("intruder", stranger.getPublic(), "intruder", stranger.getPrivate(),
        List.of("127.0.0.1"), Duration.ofDays(1), false);
    assertThat(cutOff(tls(new Identity(stranger, self, null)), true)).as("self-signed client certificate").isTrue();

    WorldKey otherWorld = new WorldKey("wother", new byte[32]);
    assertThat(cutOff(tls(member(otherWorld)), true)).as("a certificate of another world's CA").isTrue();

    WorldKey world = ModuleKeyFile.loadOrCreate(dataDir);
    try {
      assertThat(cutOff(tls(member(world)), true)).as("a certificate of this world's CA").isFalse();
    } finally {
      world.destroy();
    }
  }

  record Identity(KeyPair key, X509Certificate cert, X509Certificate ca) {
  }

  private static Identity member(WorldKey world) {
    byte[] secret;
    try (SoftwareHsm hsm = new SoftwareHsm(world, 1)) {
      secret = hsm.worldMac(ClusterTls.SECRET_LABEL);
    }
    KeyPair ca = ClusterTls.caKey(world.worldId(), secret);
    String caName = "licensor event bus CA " + world.worldId();
    X509Certificate caCert = Certificates.issue(caName, ca.getPublic(), caName, ca.getPrivate(), List.of(), Duration.ofDays(1), true);
    KeyPair key = Certificates.newEcKeyPair();
    X509Certificate cert = Certificates.issue("probe", key.getPublic(), caName, ca.getPrivate(), List.of("127.0.0.1"),
        Duration.ofDays(1), false);
    return new Identity(key, cert, caCert);
  }

  /** A TLS 1.3 client that trusts any server (what it tests is the server's check of the client). */
  private static SSLSocket tls(Identity identity) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    KeyManagerFactory kmf = null;
    if (identity != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      Certificate[] chain = identity.ca() == null ? new Certificate[] {identity.cert()}
          : new Certificate[] {identity.cert(), identity.ca()};
      ks.setKeyEntry("me", identity.key().getPrivate(), new char[0], chain);
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
    }
    TrustManager trustAll = new X509TrustManager() {
      public void checkClientTrusted(X509Certificate[] c, String a) {
      }

      public void checkServerTrusted(X509Certificate[] c, String a) {
      }

      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), new TrustManager[] {trustAll}, null);
    return (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", eventBusPort);
  }

  /**
   * Whether the node ends the connection: after the handshake (if any) and a few bytes written, a
   * read gets end-of-stream or an error, rather than waiting for more (the event bus has nothing to
   * say to a silent peer).
   */
  private static boolean cutOff(Socket socket, boolean handshake) throws IOException {
    try (socket) {
      socket.setSoTimeout(2000);
      try {
        if (handshake) {
          ((SSLSocket) socket).startHandshake();
        }
        socket.getOutputStream().write(new byte[] {0, 0, 0, 4, 1, 2, 3, 4});
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        return in.read() == -1;
      } catch (SocketTimeoutException e) {
        return false;
      } catch (IOException e) {
        return true;
      }
    }
  }
}
