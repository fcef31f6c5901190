package io.licensor.node;

import io.licensor.cluster.ChangeNotices;
import io.licensor.cluster.ClusterView;
import io.licensor.cluster.Membership;
import io.licensor.config.LicensorConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.function.Supplier;

/** How changes reach the other nodes (notices, confirmed or waited out by lease) and the operators' cluster view. */
record ClusterFeature(ChangeNotices notices, ClusterView view) {

  /** {@code facts}: what this node tells the cluster view about itself. */
  static ClusterFeature create(Vertx vertx, Membership membership, DirectoryFeature tenants, LicensorConfig config,
                               Supplier<JsonObject> facts) {
    ChangeNotices notices = new ChangeNotices(vertx, membership, tenants.directory(), config.clusterNoticeTimeoutMs(),
        tenants.leases(), tenants.lease());
    ClusterView view = new ClusterView(vertx, membership, tenants.directory(), facts, config.clusterNoticeTimeoutMs());
    return new ClusterFeature(notices, view);
  }

  /** Listens for notices and view requests, then loads the tenants other nodes have used lately. */
  Future<Void> start() {
    return Future.all(notices.start(), view.start()).compose(x -> notices.warm());
  }
}
