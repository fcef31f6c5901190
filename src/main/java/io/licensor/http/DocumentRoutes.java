package io.licensor.http;

import io.licensor.audit.AuditTrail;
import io.licensor.errors.Problem;
import io.licensor.identity.Principal;
import io.licensor.licensing.LicensingService;
import io.licensor.lifecycle.TenantLifecycle;
import io.vertx.core.Future;
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
  private final LicensingService licensing;
  private final AuditTrail trail;

  public DocumentRoutes(Auth auth, TenantLifecycle tenants, KeyDirectory directory, LicensingService licensing,
                        AuditTrail trail) {
    this.trail = trail;
    this.auth = auth;
    this.tenants = tenants;
    this.directory = directory;
    this.licensing = licensing;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.put("/v1/tenants/:tid/documents/:contentId/revocation").handler(body).handler(ctx -> change(ctx, true));
    router.delete("/v1/tenants/:tid/documents/:contentId/revocation").handler(body).handler(ctx -> change(ctx, false));
    router.get("/v1/tenants/:tid/documents/:contentId/revocation").handler(this::state);
    // admins read it by GET; its publisher by POST, with the publishing license that shows it
    router.get("/v1/tenants/:tid/documents/:contentId/usage").handler(this::usage);
    router.post("/v1/tenants/:tid/documents/:contentId/usage").handler(body).handler(this::usage);
    router.get("/v1/tenants/:tid/super-user-licenses").handler(this::superUserLicenses);
  }

  private void change(RoutingContext ctx, boolean revoke) {
    String tid = ctx.pathParam("tid");
    String contentId = ctx.pathParam("contentId");
    auth.principal(ctx, tid)
        .compose(p -> mayActOn(p, tid, contentId, ctx))
        .compose(p -> tenants.revokeDocument(p, tid, contentId, revoke, Requests.id(ctx)))
        .onSuccess(c -> Requests.json(ctx, 200, Requests.withPropagation(ctx, new JsonObject().put("tenant", tid)
            .put("contentId", contentId).put("revoked", revoke).put("changed", c.value()), c.propagation())))
        .onFailure(ctx::fail);
  }

  /**
   * Tenant admins and operators may act on any document (revoke it, read its usage); a user of the tenant only one
   * they published, shown by sending its publishing license ({@code {"publishingLicense": ...}}),
   * whose sealed content names the document and its publisher.
   */
  private Future<Principal> mayActOn(Principal p, String tid, String contentId, RoutingContext ctx) {
    if (p.operator() || p.isTenantAdminOf(tid)) {
      return Future.succeededFuture(p);
    }
    if (!p.isUserOf(tid)) {
      return Future.failedFuture(Problem.FORBIDDEN.with("this needs the tenant's publisher of the document, its tenant-admin "
          + "role, or the operator role"));
    }
    JsonObject body = Requests.optionalJsonObject(ctx);
    if (!(body.getValue("publishingLicense") instanceof String pl)) {
      return Future.failedFuture(Problem.FORBIDDEN.with("only the document's publisher or the tenant's admins may change its "
          + "revocation: as its publisher, send its publishingLicense in the body"));
    }
    return licensing.origin(tid, pl).compose(origin -> origin.contentId().equals(contentId) && origin.publisher().equals(p.subject())
        ? Future.succeededFuture(p)
        : Future.failedFuture(Problem.FORBIDDEN.with("the publishing license is not of document " + contentId
            + " published by " + p.subject())));
  }

  private void usage(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    String contentId = ctx.pathParam("contentId");
    int limit;
    try {
      limit = Integer.parseInt(ctx.queryParams().get("limit") == null ? "100" : ctx.queryParams().get("limit"));
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > 1000) {
      ctx.fail(Problem.INVALID_REQUEST.with("limit must be an integer from 1 to 1000"));
      return;
    }
    int max = limit;
    auth.principal(ctx, tid)
        .compose(p -> mayActOn(p, tid, contentId, ctx))
        .compose(p -> trail.documentUsage(tid, contentId, LicensingService.documentDetail(contentId), max))
        .onSuccess(view -> {
          ctx.response().putHeader("Cache-Control", "no-store");
          Requests.json(ctx, 200, view);
        })
        .onFailure(ctx::fail);
  }

  /** The licenses the tenant's super users were given, for its admins (and operators). */
  private void superUserLicenses(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> trail.superUserLicenses(tid, 1000))
        .onSuccess(view -> {
          ctx.response().putHeader("Cache-Control", "no-store");
          Requests.json(ctx, 200, view);
        })
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
