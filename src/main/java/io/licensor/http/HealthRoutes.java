package io.licensor.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Liveness, readiness, and the OpenAPI document. */
final class HealthRoutes {

  private final Api api;
  private final byte[] openApi;

  HealthRoutes(Api api) {
    this.api = api;
    try (InputStream in = HealthRoutes.class.getClassLoader().getResourceAsStream("openapi.yaml")) {
      this.openApi = in == null ? new byte[0] : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void mount(Router router) {
    router.get("/health/live").handler(ctx -> Requests.json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(ctx -> ready(ctx, "status"));
    router.get("/health/lifecycle").handler(ctx -> ready(ctx, "lifecycle"));
    router.get("/metrics").handler(this::metrics);
    router.get("/openapi.yaml").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/yaml")
        .end(io.vertx.core.buffer.Buffer.buffer(openApi)));
  }

  /** Prometheus text format; operators only unless metrics.public (series name tenants through their kids). */
  private void metrics(RoutingContext ctx) {
    (api.config().metricsPublic() ? io.vertx.core.Future.succeededFuture()
        : Auth.principal(api, ctx, null).compose(p -> Auth.operator(p, "metrics")))
        .onSuccess(p -> ctx.response()
            .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            .putHeader("Cache-Control", "no-store")
            .end(api.metrics().scrape()))
        .onFailure(ctx::fail);
  }

  /**
   * UP (200) or DOWN (503): for {@code /health/ready}, whether the node can serve licenses (what a
   * load balancer checks); for {@code /health/lifecycle}, whether lifecycle operations can run
   * too. The checks behind it (world id, node id, queue depth, cluster members, lease) are shown
   * to operators only: to anyone else the answer is the status alone.
   */
  private void ready(RoutingContext ctx, String field) {
    String authorization = ctx.request().getHeader("Authorization");
    io.vertx.core.Future<Boolean> operator = authorization == null ? io.vertx.core.Future.succeededFuture(false)
        : api.authenticator().authenticate(authorization, null).map(p -> p.operator()).otherwise(false);
    operator.onComplete(who -> api.readiness().check().onComplete(ar -> {
      JsonObject body = ar.succeeded() ? ar.result() : new JsonObject().put("status", "DOWN");
      String status = "UP".equals(body.getString(field)) ? "UP" : "DOWN";
      ctx.response().putHeader("Cache-Control", "no-store");
      Requests.json(ctx, "UP".equals(status) ? 200 : 503, Boolean.TRUE.equals(who.result()) ? body
          : new JsonObject().put("status", status));
    }));
  }
}
