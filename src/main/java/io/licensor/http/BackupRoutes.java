package io.licensor.http;

import io.licensor.lifecycle.KeyLifecycle;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/** Backup packages and restore. */
final class BackupRoutes {

  /** A package holds a token per key version (a few KiB each): restore takes larger bodies. */
  static final int MAX_PACKAGE_BYTES = 8 * 1024 * 1024;

  private final Api api;

  BackupRoutes(Api api) {
    this.api = api;
  }

  void mount(Router router) {
    router.get("/v1/tenants/:tid/backup").handler(this::backup);
    router.post("/v1/tenants/restore").handler(BodyHandler.create(false).setBodyLimit(MAX_PACKAGE_BYTES)).handler(this::restore);
  }

  private void backup(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    Auth.principal(api, ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> api.backup().backup(tid, KeyLifecycle.describe(p), Requests.id(ctx)))
        .onSuccess(pkg -> {
          ctx.response()
              .putHeader("Cache-Control", "no-store")
              .putHeader("Content-Disposition", "attachment; filename=\"" + tid + ".licensor-backup.json\"");
          Requests.json(ctx, 200, pkg);
        })
        .onFailure(ctx::fail);
  }

  private void restore(RoutingContext ctx) {
    boolean replace = "true".equalsIgnoreCase(ctx.queryParams().get("replace"));
    boolean force = "true".equalsIgnoreCase(ctx.queryParams().get("force"));
    Auth.principal(api, ctx, null)
        .compose(p -> Auth.operator(p, "restoring"))
        .compose(p -> api.backup().restore(Requests.jsonObject(ctx), replace, force, KeyLifecycle.describe(p), Requests.id(ctx)))
        .onSuccess(r -> {
          ctx.response().putHeader("Location", "/v1/tenants/" + r.tenantId());
          Requests.json(ctx, r.replaced() ? 200 : 201, LifecycleRoutes.withPropagation(ctx, new JsonObject()
              .put("tenant", r.tenantId()).put("versions", r.versions()).put("replaced", r.replaced())
                  .put("changes", r.changes()), r.propagation()));
        })
        .onFailure(ctx::fail);
  }
}
