package io.licensor.http;

import io.licensor.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Liveness, readiness, and the OpenAPI document. */
public final class HealthRoutes implements Routes {

  private final Auth auth;
  private final Metrics metrics;
  private final boolean metricsPublic;
  private final Readiness readiness;
  private final byte[] openApi;

  /** {@code metricsPublic}: {@code /metrics} answers anyone, not operators only. */
  public HealthRoutes(Auth auth, Metrics metrics, boolean metricsPublic, Readiness readiness) {
    this.auth = auth;
    this.metrics = metrics;
    this.metricsPublic = metricsPublic;
    this.readiness = readiness;
    try (InputStream in = HealthRoutes.class.getClassLoader().getResourceAsStream("openapi.yaml")) {
      this.openApi = in == null ? new byte[0] : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.get("/health/live").handler(ctx -> Requests.json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(ctx -> ready(ctx, "status"));
    router.get("/health/lifecycle").handler(ctx -> ready(ctx, "lifecycle"));
    router.get("/metrics").handler(this::metrics);
    router.get("/openapi.yaml").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/yaml")
        .end(Buffer.buffer(openApi)));
  }

  /** Prometheus text format; operators only unless metrics.public (series name tenants through their kids). */
  private void metrics(RoutingContext ctx) {
    (metricsPublic ? Future.succeededFuture()
        : auth.principal(ctx, null).compose(p -> Auth.operator(p, "metrics")))
        .onSuccess(p -> ctx.response()
            .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            .putHeader("Cache-Control", "no-store")
            .end(metrics.scrape()))
        .onFailure(ctx::fail);
  }

  /**
   * UP (200) or DOWN (503): for {@code /health/ready}, whether the node can serve licenses (what a
   * load balancer checks); for {@code /health/lifecycle}, whether lifecycle operations can run
   * too. The checks behind it (world id, node id, queue depth, cluster members, lease) are shown
   * to operators only: to anyone else the answer is the status alone.
   */
  private void ready(RoutingContext ctx, String field) {
    Future<Boolean> operator = auth.optionalPrincipal(ctx).map(p -> p != null && p.operator());
    operator.onComplete(who -> readiness.check().onComplete(ar -> {
      JsonObject body = ar.succeeded() ? ar.result() : new JsonObject().put("status", "DOWN");
      String status = "UP".equals(body.getString(field)) ? "UP" : "DOWN";
      ctx.response().putHeader("Cache-Control", "no-store");
      Requests.json(ctx, "UP".equals(status) ? 200 : 503, Boolean.TRUE.equals(who.result()) ? body
          : new JsonObject().put("status", status));
    }));
  }
}
