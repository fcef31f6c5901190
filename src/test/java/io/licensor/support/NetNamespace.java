package io.licensor.support;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace this test makes for one node, joined to the host by two veth pairs: the
 * <em>cluster</em> link (Hazelcast and the event bus; 10.231.K.0/30) and the <em>data</em> link
 * (the database and the node's HTTP; 10.232.K.0/30). {@link #cutCluster} takes the cluster link
 * down: the node is partitioned from its cluster and still reaches the database, as on a network
 * where the members' segment fails. Traffic stays on these links, which this test made. Needs root
 * and iproute2: without them the test is skipped with the reason, unless
 * LICENSOR_REQUIRE_NETNS=true (CI), where it fails.
 */
public final class NetNamespace implements AutoCloseable {

  public final String name;
  private final int k;
  private final String clusterHostLink;
  private final String dataHostLink;

  private NetNamespace(int k) {
    this.k = k;
    this.name = "lic" + k + "x" + Long.toHexString(ProcessHandle.current().pid());
    this.clusterHostLink = "lc" + k + "h";
    this.dataHostLink = "ld" + k + "h";
  }

  public static NetNamespace create() {
    String reason = null;
    if (!"root".equals(System.getProperty("user.name"))) {
      reason = "network-namespace tests need root";
    } else if (!new File("/usr/sbin/ip").exists() && !new File("/sbin/ip").exists()
        && !new File("/usr/bin/ip").exists()) {
      reason = "network-namespace tests need iproute2 (ip)";
    }
    if (reason != null) {
      if ("true".equals(System.getenv("LICENSOR_REQUIRE_NETNS"))) {
        throw new IllegalStateException(reason + "; required by LICENSOR_REQUIRE_NETNS");
      }
      Assumptions.abort(reason + "; skipped");
    }
    NetNamespace ns = new NetNamespace(ThreadLocalRandom.current().nextInt(1, 250));
    // a test JVM that ends without closing it (a failed @BeforeAll, SIGTERM) still removes it
    Runtime.getRuntime().addShutdownHook(new Thread(ns::close, "netns-cleanup-" + ns.name));
    try {
      ns.setUp();
    } catch (RuntimeException e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  private void setUp() {
    ip("netns", "add", name);
    ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
    link(clusterHostLink, "lc" + k + "n", clusterHostIp(), clusterNsIp());
    link(dataHostLink, "ld" + k + "n", dataHostIp(), dataNsIp());
  }

  private void link(String hostSide, String nsSide, String hostIp, String nsIp) {
    ip("link", "add", hostSide, "type", "veth", "peer", "name", nsSide);
    ip("link", "set", nsSide, "netns", name);
    ip("addr", "add", hostIp + "/30", "dev", hostSide);
    ip("link", "set", hostSide, "up");
    ip("netns", "exec", name, "ip", "addr", "add", nsIp + "/30", "dev", nsSide);
    ip("netns", "exec", name, "ip", "link", "set", nsSide, "up");
  }

  public String clusterHostIp() {
    return "10.231." + k + ".1";
  }

  public String clusterNsIp() {
    return "10.231." + k + ".2";
  }

  public String dataHostIp() {
    return "10.232." + k + ".1";
  }

  public String dataNsIp() {
    return "10.232." + k + ".2";
  }

  /** A command prefix that runs a process inside the namespace. */
  public List<String> exec() {
    return List.of("ip", "netns", "exec", name);
  }

  /** The partition: the cluster link goes down (the data link stays up). */
  public void cutCluster() {
    ip("link", "set", clusterHostLink, "down");
  }

  public void healCluster() {
    ip("link", "set", clusterHostLink, "up");
  }

  @Override
  public void close() {
    quietly("netns", "del", name);
    quietly("link", "del", clusterHostLink);
    quietly("link", "del", dataHostLink);
  }

  private static void ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void quietly(String... args) {
    try {
      ip(args);
    } catch (RuntimeException e) {
      // already gone
    }
  }
}
