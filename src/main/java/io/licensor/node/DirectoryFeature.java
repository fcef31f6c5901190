package io.licensor.node;

import io.licensor.cluster.Membership;
import io.licensor.config.LicensorConfig;
import io.licensor.hsm.HsmClient;
import io.licensor.tenants.DirectoryLease;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.LeaseStore;
import io.licensor.tenants.TenantStore;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;

/**
 * The tenants and their key versions as this node knows them: the store, the directory cached
 * over it, and the lease that proves the cache current (SPEC §7). The directory is swept on a
 * period; a key version destroyed elsewhere is dropped from this node's HSM.
 */
record DirectoryFeature(TenantStore store, KeyDirectory directory, LeaseStore leases, DirectoryLease lease) {

  private static final Logger LOG = LoggerFactory.getLogger(DirectoryFeature.class);

  /** {@code reservedIssuers}: the operators' issuers, which no tenant may take. */
  static DirectoryFeature create(Vertx vertx, Pool pool, Set<String> reservedIssuers, LicensorConfig config,
                                 Membership membership, HsmClient hsm) {
    TenantStore store = new TenantStore(pool, reservedIssuers, config.maxKeyVersions());
    long period = config.keyRefreshSeconds() * 1000L;
    KeyDirectory directory = new KeyDirectory(store, period);
    directory.onKeyRetired(hsm::forget);
    LeaseStore leases = new LeaseStore(pool);
    DirectoryLease lease = new DirectoryLease(vertx, leases, directory, config.leaseMillis(), config.nodeId(),
        membership::selfId);
    directory.guardWith(lease);
    vertx.setPeriodic(period, period, t -> directory.sweep().onFailure(err ->
        LOG.warn("key directory sweep failed ({}); cached tenants unconfirmed for {} s are reloaded before use",
            err.toString(), 2 * config.keyRefreshSeconds())));
    return new DirectoryFeature(store, directory, leases, lease);
  }
}
