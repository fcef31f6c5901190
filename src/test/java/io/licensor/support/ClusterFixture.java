package io.licensor.support;

import io.licensor.world.ModuleKeyFile;
import io.licensor.world.WorldKey;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * What the nodes of a test cluster share: one PostgreSQL database, one security world (the module
 * key file, copied into each node's data directory, as an operator loads the same world on every
 * node), one operator issuer, and a cluster name of their own so test clusters never meet.
 * Hazelcast stays on loopback (the built-in cluster.xml), on ports chosen free for the test.
 */
public final class ClusterFixture {

  /** The test clusters' directory lease: shorter than the default, so a call waiting for a frozen node waits less. */
  public static final int LEASE_MILLIS = 4000;
  /**
   * How long a change waits for the other nodes to confirm its notice: 2 s, stretched on a loaded
   * machine ({@link TestTime}), where an answer can take longer than that without anything wrong.
   */
  public static final int NOTICE_TIMEOUT_MS = (int) TestTime.scaledMillis(2000);

  public final String databaseUrl = TestDatabase.freshDatabaseUrl();
  public final Issuer operators = Issuer.rsa("https://operators.test");
  public final String clusterName = "licensor-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final Path world;

  public ClusterFixture() {
    try {
      Path dir = Files.createTempDirectory("licensor-world-");
      WorldKey key = ModuleKeyFile.loadOrCreate(dir);
      key.destroy();
      world = ModuleKeyFile.pathIn(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fresh data directory holding the cluster's world. */
  public Path dataDir(String node) {
    try {
      Path dir = Files.createTempDirectory("licensor-" + node + "-");
      Path target = ModuleKeyFile.pathIn(dir);
      Files.createDirectories(target.getParent());
      Files.copy(world, target, StandardCopyOption.COPY_ATTRIBUTES);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Settings of a clustered node in the shape of conf/licensor.json. */
  /**
   * A node on its own, not clustered — a database and data directory of its own — holding this
   * fixture's security world (so a backup made on one such node restores on another).
   */
  public TestNode standalone(String name) {
    String db = TestDatabase.freshDatabaseUrl();
    Path dir = dataDir(name);
    JsonObject settings = new JsonObject().put("dataDir", dir.toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 1))
        .put("database", new JsonObject().put("url", db));
    return TestNode.start(settings, dir, db, operators);
  }

  public JsonObject settings(String node, Path dataDir, int httpPort, String cluster, int hazelcastPort, String members,
                             int refreshSeconds) {
    return new JsonObject()
        .put("dataDir", dataDir.toString())
        .put("node", new JsonObject().put("id", node))
        .put("http", new JsonObject().put("port", httpPort).put("instances", 1))
        .put("database", new JsonObject().put("url", databaseUrl).put("poolSize", 4))
        .put("keys", new JsonObject().put("refreshSeconds", refreshSeconds))
        .put("cluster", new JsonObject().put("enabled", true).put("name", cluster).put("port", hazelcastPort)
            .put("members", members).put("noticeTimeoutMs", NOTICE_TIMEOUT_MS).put("leaseMillis", LEASE_MILLIS));
  }

  public static int[] freePorts(int n) {
    int[] ports = new int[n];
    ServerSocket[] sockets = new ServerSocket[n];
    try {
      for (int i = 0; i < n; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ports[i] = sockets[i].getLocalPort();
      }
      for (ServerSocket s : sockets) {
        s.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ports;
  }

  public static String members(int... ports) {
    StringBuilder b = new StringBuilder();
    for (int p : ports) {
      b.append(b.length() == 0 ? "" : ",").append("127.0.0.1:").append(p);
    }
    return b.toString();
  }
}
