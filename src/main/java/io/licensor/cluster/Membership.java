package io.licensor.cluster;

import io.vertx.core.spi.cluster.ClusterManager;

import java.util.List;

/**
 * Who is in the cluster: the Vert.x cluster manager's members, or this node alone when the node
 * is not clustered. Member ids are the cluster manager's node ids; each node also has a name
 * ({@code node.id}) it reports in its view.
 */
public final class Membership {

  private static final String SINGLE = "single";

  private final ClusterManager manager;
  private final String name;

  public Membership(ClusterManager manager, String name) {
    this.manager = manager;
    this.name = name;
  }

  public boolean clustered() {
    return manager != null;
  }

  /** This node's member id. */
  public String selfId() {
    return manager == null ? SINGLE : manager.getNodeId();
  }

  /** This node's name (node.id). */
  public String name() {
    return name;
  }

  /** The members now, this node included. */
  public List<String> memberIds() {
    return manager == null ? List.of(SINGLE) : manager.getNodes();
  }

  /** Whether this node is still in its cluster (always, when not clustered). */
  public boolean active() {
    return manager == null || manager.isActive();
  }

  static String noticeAddress(String memberId) {
    return "licensor.node." + memberId + ".tenant-changed";
  }

  static String viewAddress(String memberId) {
    return "licensor.node." + memberId + ".view";
  }
}
