package io.licensor.http;

import io.licensor.lifecycle.TenantLifecycle;
import io.licensor.tenants.KeyDirectory;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * A tenant's documents by content id (issue 23, item 2, in part): {@code PUT .../revocation}
 * revokes one (no node licenses it from the return of the call), {@code DELETE} un-revokes it,
 * {@code GET} says which it is. Tenant admins and operators.
 */
public final class DocumentRoutes implements Routes {

  private final Auth auth;
  private final TenantLifecycle tenants;
  private final KeyDirectory directory;

  public DocumentRoutes(Auth auth, TenantLifecycle tenants, KeyDirectory directory) {
    this.auth = auth;
    this.tenants = tenants;
    this.directory = directory;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.put("/v1/tenants/:tid/documents/:contentId/revocation").handler(body).handler(ctx -> change(ctx, true));
    router.delete("/v1/tenants/:tid/documents/:contentId/revocation").handler(body).handler(ctx -> change(ctx, false));
    router.get("/v1/tenants/:tid/documents/:contentId/revocation").handler(this::state);
  }

  private void change(RoutingContext ctx, boolean revoke) {
    String tid = ctx.pathParam("tid");
    String contentId = ctx.pathParam("contentId");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> tenants.revokeDocument(p, tid, contentId, revoke, Requests.id(ctx)))
        .onSuccess(c -> Requests.json(ctx, 200, Requests.withPropagation(ctx, new JsonObject().put("tenant", tid)
            .put("contentId", contentId).put("revoked", revoke).put("changed", c.value()), c.propagation())))
        .onFailure(ctx::fail);
  }

  private void state(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    String contentId = ctx.pathParam("contentId");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> directory.require(tid))
        .onSuccess(t -> Requests.json(ctx, 200, new JsonObject().put("tenant", tid).put("contentId", contentId)
            .put("revoked", t.revoked(contentId))))
        .onFailure(ctx::fail);
  }
}
