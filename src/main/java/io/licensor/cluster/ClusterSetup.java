package io.licensor.cluster;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.InvalidConfigurationException;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.TcpIpConfig;
import io.licensor.config.ConfigException;
import io.licensor.config.ConfigLoader;
import io.licensor.config.LicensorConfig;
import io.licensor.tls.ClusterTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.FileNotFoundException;
import java.util.Arrays;
import java.util.List;

/**
 * Builds the Hazelcast configuration of a clustered node — {@code cluster.configFile} or the
 * built-in loopback one, then the {@code cluster.*} overrides — and starts a clustered Vert.x on
 * it. Phone-home is always off, whatever the file says.
 */
public final class ClusterSetup {

  /** The built-in configuration, identical to conf/cluster.xml. */
  public static final String BUILT_IN = "licensor-cluster.xml";

  private ClusterSetup() {
  }

  public static Config hazelcastConfig(LicensorConfig config) {
    // Before Hazelcast's first log line (the config loader logs through JUL otherwise).
    if (System.getProperty("hazelcast.logging.type") == null) {
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
    Config hz;
    String file = config.clusterConfigFile();
    try {
      hz = file != null ? new FileSystemXmlConfig(file) : new ClasspathXmlConfig(ClusterSetup.class.getClassLoader(), BUILT_IN);
    } catch (FileNotFoundException e) {
      throw new ConfigException("cluster.configFile: cannot read " + file);
    } catch (InvalidConfigurationException | IllegalArgumentException e) {
      throw new ConfigException("cluster.configFile: not a valid Hazelcast configuration: " + e.getMessage());
    }
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    if (config.clusterName() != null) {
      hz.setClusterName(config.clusterName());
    }
    NetworkConfig network = hz.getNetworkConfig();
    if (config.clusterPort() != 0) {
      network.setPort(config.clusterPort());
    }
    if (config.clusterHost() != null) {
      network.getInterfaces().setEnabled(true).setInterfaces(List.of(config.clusterHost()));
    }
    if (config.clusterMembers() != null) {
      List<String> members = Arrays.stream(config.clusterMembers().split(",")).map(String::trim)
          .filter(m -> !m.isEmpty()).toList();
      if (members.isEmpty()) {
        throw new ConfigException("cluster.members: list at least one member, host[:port], comma-separated");
      }
      network.getJoin().getMulticastConfig().setEnabled(false);
      TcpIpConfig tcp = network.getJoin().getTcpIpConfig().setEnabled(true);
      tcp.setMembers(members);
    }
    return hz;
  }

  /**
   * With {@code eventBusSecret}, the event bus runs mutual TLS with certificates of world
   * {@code worldId}'s event-bus CA ({@link io.licensor.tls.ClusterTls}); with null
   * (cluster.plaintext, loopback only) it is plain.
   */
  public static Future<Clustered> start(LicensorConfig config, VertxOptions options,
                                        VertxMetricsFactory metrics, String worldId, byte[] eventBusSecret) {
    Config hz = hazelcastConfig(config);
    HazelcastClusterManager manager = new HazelcastClusterManager(hz);
    String host = config.clusterHost() != null ? config.clusterHost() : firstInterface(hz);
    if (eventBusSecret == null && !ConfigLoader.isLoopback(host)) {
      throw new ConfigException("cluster.plaintext: a plain event bus is allowed only on a loopback address, and the "
          + "event bus would bind to " + host);
    }
    options.getEventBusOptions().setHost(host).setPort(config.clusterEventBusPort());
    if (eventBusSecret != null) {
      ClusterTls.apply(options.getEventBusOptions(), worldId, eventBusSecret, host);
    }
    return Vertx.builder().with(options).withClusterManager(manager).withMetrics(metrics).buildClustered()
        .map(vertx -> new Clustered(vertx, manager));
  }

  private static String firstInterface(Config hz) {
    NetworkConfig network = hz.getNetworkConfig();
    if (network.getInterfaces().isEnabled() && !network.getInterfaces().getInterfaces().isEmpty()) {
      return network.getInterfaces().getInterfaces().iterator().next();
    }
    return "127.0.0.1";
  }

  /** A clustered Vert.x joined to the cluster, and its cluster manager. */
  public record Clustered(Vertx vertx, HazelcastClusterManager manager) {
  }
}
