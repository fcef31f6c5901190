package io.licensor.http;

import io.licensor.backup.BackupService;

import io.licensor.lifecycle.KeyLifecycle;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/** Backup packages and restore. */
public final class BackupRoutes implements Routes {

  /** A package holds a token per key version (a few KiB each): restore takes larger bodies. */
  static final int MAX_PACKAGE_BYTES = 8 * 1024 * 1024;

  private final Auth auth;
  private final BackupService backups;

  public BackupRoutes(Auth auth, BackupService backups) {
    this.auth = auth;
    this.backups = backups;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.get("/v1/tenants/:tid/backup").handler(this::backup);
    router.post("/v1/tenants/restore").handler(BodyHandler.create(false).setBodyLimit(MAX_PACKAGE_BYTES)).handler(this::restore);
  }

  private void backup(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> backups.backup(tid, KeyLifecycle.describe(p), Requests.id(ctx)))
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
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "restoring"))
        .compose(p -> backups.restore(Requests.jsonObject(ctx), replace, force, KeyLifecycle.describe(p), Requests.id(ctx)))
        .onSuccess(r -> {
          ctx.response().putHeader("Location", "/v1/tenants/" + r.tenantId());
          Requests.json(ctx, r.replaced() ? 200 : 201, Requests.withPropagation(ctx, new JsonObject()
              .put("tenant", r.tenantId()).put("versions", r.versions()).put("replaced", r.replaced())
                  .put("changes", r.changes()), r.propagation()));
        })
        .onFailure(ctx::fail);
  }
}
