package io.licensor.node;

import io.licensor.audit.AuditLog;
import io.licensor.backup.BackupService;
import io.licensor.byok.ByokService;
import io.licensor.byok.KekStore;
import io.licensor.cluster.ChangeNotices;
import io.licensor.config.LicensorConfig;
import io.licensor.cryptopolicy.CryptoPolicies;
import io.licensor.cryptopolicy.CryptoPolicyStore;
import io.licensor.hsm.HsmClient;
import io.licensor.identity.IdentityCheck;
import io.licensor.lifecycle.CustodyUpgrade;
import io.licensor.lifecycle.KeyLifecycle;
import io.licensor.lifecycle.TenantLifecycle;
import io.licensor.lifecycle.TenantLocks;
import io.licensor.templates.Templates;
import io.licensor.tenants.TemplateStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;

/**
 * What changes tenants and their keys: creation, re-key, cancel, destroy and export, BYOK
 * transfers, backup and restore, and the crypto policy they all obey. Every change is audited
 * and announced to the other nodes.
 */
record LifecycleFeature(TenantLifecycle tenants, KeyLifecycle keys, ByokService byok, BackupService backups,
                        CryptoPolicyStore policyStore, CryptoPolicies policies, Templates templates) {

  static LifecycleFeature create(Vertx vertx, Pool pool, DirectoryFeature directory, HsmFeature hsm, AuditLog audit,
                                 ChangeNotices notices, IdentityCheck identities, LicensorConfig config) {
    HsmClient client = hsm.client();
    ByokService byok = new ByokService(new KekStore(pool), client, audit, config.kekTtlSeconds(), config.maxKeks());
    CryptoPolicyStore policyStore = new CryptoPolicyStore(pool);
    KeyLifecycle keys = new KeyLifecycle(vertx, directory.store(), directory.directory(), client, audit, byok, notices,
        policyStore);
    TenantLocks locks = new TenantLocks(vertx);
    TenantLifecycle tenants = new TenantLifecycle(directory.store(), directory.directory(), client, audit, byok, policyStore,
        locks, notices, identities);
    BackupService backups = new BackupService(directory.store(), directory.directory(), client, audit, hsm.worldId(),
        locks, notices);
    Templates templates = new Templates(new TemplateStore(pool), directory.directory(), audit, notices);
    return new LifecycleFeature(tenants, keys, byok, backups, policyStore, new CryptoPolicies(policyStore, audit), templates);
  }

  /** Re-wraps key tokens kept in an earlier custody (before this node serves anything). */
  static Future<Void> upgradeCustody(DirectoryFeature directory, HsmFeature hsm) {
    return CustodyUpgrade.run(directory.store(), hsm.client(), hsm.worldId()).mapEmpty();
  }
}
