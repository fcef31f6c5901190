package io.licensor.http;

import io.licensor.audit.AuditLog;
import io.licensor.backup.BackupService;
import io.licensor.byok.ByokService;
import io.licensor.cluster.ClusterView;
import io.licensor.config.LicensorConfig;
import io.licensor.lifecycle.KeyLifecycle;
import io.licensor.identity.Authenticator;
import io.licensor.licensing.LicensingService;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.TenantService;

/** What the HTTP layer calls: the node's services, shared by every HTTP verticle instance. */
public record Api(LicensorConfig config, Authenticator authenticator, KeyDirectory directory, TenantService tenants,
                  LicensingService licensing, KeyLifecycle lifecycle, AuditLog audit, ByokService byok,
                  BackupService backup, ClusterView cluster, io.licensor.incidents.IncidentService incidents,
                  io.licensor.cryptopolicy.CryptoPolicyStore policies, io.vertx.sqlclient.Pool pool,
                  io.licensor.metrics.Metrics metrics, Readiness readiness,
                  io.licensor.limits.TenantRateLimits limits, io.licensor.limits.KeyOperationLimits keyOperations) {
}
