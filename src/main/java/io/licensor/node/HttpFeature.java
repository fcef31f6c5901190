package io.licensor.node;

import io.licensor.audit.AuditTrail;
import io.licensor.config.LicensorConfig;
import io.licensor.http.AuditRoutes;
import io.licensor.http.Auth;
import io.licensor.http.BackupRoutes;
import io.licensor.http.ByokRoutes;
import io.licensor.http.ClusterRoutes;
import io.licensor.http.HealthRoutes;
import io.licensor.http.HttpServerVerticle;
import io.licensor.http.IncidentRoutes;
import io.licensor.http.KeyOperationGate;
import io.licensor.http.LicensingRoutes;
import io.licensor.http.KeyRoutes;
import io.licensor.http.DocumentRoutes;
import io.licensor.http.TemplateRoutes;
import io.licensor.http.WebRoutes;
import io.licensor.http.MailRoutes;
import io.licensor.http.Readiness;
import io.licensor.http.Routes;
import io.licensor.http.TenantRoutes;
import io.licensor.delegation.SigningKeys;
import io.licensor.licensing.LicensingService;
import io.licensor.tls.TlsEngines;
import io.licensor.limits.KeyOperationLimits;
import io.licensor.limits.TenantRateLimits;
import io.licensor.metrics.Metrics;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tls.ServerCertificate;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP API: each feature's routes, given only the services they call, served by
 * {@code http.instances} verticles on one port.
 */
final class HttpFeature {

  private HttpFeature() {
  }

  /** The features' route groups, in the order they are mounted. */
  static List<Routes> routes(Auth auth, LicensorConfig config, DirectoryFeature tenants, LicensingService licensing,
                             SigningKeys signingKeys, LifecycleFeature lifecycle, AuditTrail audit, ClusterFeature cluster, IncidentFeature incidents,
                             Metrics metrics, Readiness readiness) {
    KeyDirectory directory = tenants.directory();
    KeyOperationGate gate = new KeyOperationGate(new KeyOperationLimits(config.keyOperationsPerMinute(),
        config.keyOperationsBurst()));
    List<Routes> routes = new java.util.ArrayList<>(List.of(
        new HealthRoutes(auth, metrics, config.metricsPublic(), readiness),
        new TenantRoutes(auth, lifecycle.tenants(), directory, signingKeys, lifecycle.policies(),
            config.rolloverWindowSeconds()),
        new LicensingRoutes(auth, licensing, directory, new TenantRateLimits(config.tenantRatePerSecond(),
            config.tenantBurst()), metrics),
        new KeyRoutes(auth, lifecycle.keys(), gate),
        new ByokRoutes(auth, lifecycle.byok(), gate),
        new AuditRoutes(auth, directory, audit),
        new BackupRoutes(auth, lifecycle.backups()),
        new ClusterRoutes(auth, cluster.view()),
        new IncidentRoutes(auth, incidents.incidents(), lifecycle.policies()),
        new MailRoutes(auth, incidents.mail()),
        new DocumentRoutes(auth, lifecycle.tenants(), directory, licensing, audit),
        new TemplateRoutes(auth, lifecycle.templates())));
    if (config.webEnabled()) {
      routes.add(new WebRoutes());
    }
    return List.copyOf(routes);
  }

  /** Deploys the HTTP verticles; completes with their deployment id once every one listens. */
  static Future<String> deploy(Vertx vertx, LicensorConfig config, Auth auth, List<Routes> routes, AtomicInteger port,
                               ServerCertificate certificate, TlsEngines.Engine tlsEngine) {
    HttpServerVerticle.Settings settings = new HttpServerVerticle.Settings(config.httpHost(), config.httpPort(),
        config.maxBodyBytes(), config.shutdownGraceSeconds(), tlsEngine == null ? null : tlsEngine.options(),
        config.corsAllowedOrigins(), config.accessLog());
    return vertx.deployVerticle(() -> new HttpServerVerticle(settings, auth, routes, port, certificate),
        new DeploymentOptions().setInstances(config.httpInstances()));
  }
}
