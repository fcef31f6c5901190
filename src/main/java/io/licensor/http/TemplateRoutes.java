package io.licensor.http;

import io.licensor.errors.Problem;
import io.licensor.identity.Principal;
import io.licensor.lifecycle.Changed;
import io.licensor.rights.RightsTemplate;
import io.licensor.templates.Templates;
import io.licensor.tenants.TenantViews;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * A tenant's rights templates (issue 23, item 1): its admins (and operators) create, change
 * (If-Match), archive and re-activate them; its users list and read the active ones they may
 * publish with.
 */
public final class TemplateRoutes implements Routes {

  private final Auth auth;
  private final Templates templates;

  public TemplateRoutes(Auth auth, Templates templates) {
    this.auth = auth;
    this.templates = templates;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.post("/v1/tenants/:tid/templates").handler(body).handler(this::create);
    router.get("/v1/tenants/:tid/templates").handler(this::list);
    router.get("/v1/tenants/:tid/templates/:id").handler(this::get);
    router.patch("/v1/tenants/:tid/templates/:id").handler(body).handler(this::update);
    router.post("/v1/tenants/:tid/templates/:id/archive").handler(body).handler(ctx -> archive(ctx, true));
    router.post("/v1/tenants/:tid/templates/:id/activate").handler(body).handler(ctx -> archive(ctx, false));
  }

  private void create(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> templates.create(p, tid, Requests.jsonObject(ctx), Requests.id(ctx)))
        .onSuccess(c -> {
          ctx.response().putHeader("Location", "/v1/tenants/" + tid + "/templates/" + c.value().id());
          changed(ctx, 201, c);
        })
        .onFailure(ctx::fail);
  }

  private void update(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    String id = ctx.pathParam("id");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> templates.update(p, tid, id, Preconditions.revisions(ctx.request().getHeader("If-Match"), "template"),
            Requests.jsonObject(ctx), Requests.id(ctx)))
        .onSuccess(c -> changed(ctx, 200, c))
        .onFailure(ctx::fail);
  }

  private void archive(RoutingContext ctx, boolean archive) {
    String tid = ctx.pathParam("tid");
    String id = ctx.pathParam("id");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> templates.setArchived(p, tid, id, archive, Requests.id(ctx)))
        .onSuccess(c -> changed(ctx, 200, c))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> userOf(p, tid))
        .compose(p -> templates.list(p, tid))
        .onSuccess(all -> Requests.json(ctx, 200, new JsonObject().put("tenant", tid)
            .put("templates", new JsonArray(all.stream().map(t -> (Object) t.toJson()).toList()))))
        .onFailure(ctx::fail);
  }

  /** Admins read any template; a user one it may publish with (else 404, as if there were none). */
  private void get(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    String id = ctx.pathParam("id");
    auth.principal(ctx, tid)
        .compose(p -> userOf(p, tid))
        .compose(p -> templates.get(p, tid, id))
        .onSuccess(t -> {
          etag(ctx, t);
          Requests.json(ctx, 200, t.toJson());
        })
        .onFailure(ctx::fail);
  }

  private static Future<Principal> userOf(Principal p, String tid) {
    return p.operator() || p.isUserOf(tid) ? Future.succeededFuture(p)
        : Future.failedFuture(Problem.FORBIDDEN.with("the templates of tenant '" + tid + "' are for its users and admins"));
  }

  private static void changed(RoutingContext ctx, int status, Changed<RightsTemplate> c) {
    etag(ctx, c.value());
    Requests.json(ctx, status, Requests.withPropagation(ctx, c.value().toJson(), c.propagation()));
  }

  private static void etag(RoutingContext ctx, RightsTemplate t) {
    if (!t.builtIn()) {
      ctx.response().putHeader("ETag", TenantViews.etag(t.revision()));
    }
  }
}
