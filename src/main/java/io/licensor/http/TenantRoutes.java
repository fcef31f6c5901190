package io.licensor.http;

import io.licensor.tenants.TenantViews;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/** Tenants and their public keys: create, read, current key, JWKS. */
final class TenantRoutes {

  private final Api api;

  TenantRoutes(Api api) {
    this.api = api;
  }

  void mount(Router router, BodyHandler body) {
    router.post("/v1/tenants").handler(body).handler(this::create);
    router.get("/v1/tenants/:tid").handler(this::get);
    router.get("/v1/tenants/:tid/keys/current").handler(this::currentKey);
    router.get("/v1/tenants/:tid/jwks.json").handler(this::jwks);
  }

  private void create(RoutingContext ctx) {
    Auth.principal(api, ctx, null)
        .compose(p -> Auth.operator(p, "creating tenants"))
        .compose(p -> api.tenants().create(io.licensor.lifecycle.KeyLifecycle.describe(p), Requests.jsonObject(ctx),
            Requests.id(ctx)))
        .onSuccess(t -> {
          ctx.response().putHeader("Location", "/v1/tenants/" + t.tenant().id());
          Requests.json(ctx, 201, TenantViews.tenant(t));
        })
        .onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    Auth.principal(api, ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> api.directory().require(tid))
        .compose(t -> api.policies().current().map(policy -> TenantViews.tenant(t).put("cryptoPolicy", new io.vertx.core.json.JsonObject()
            .put("activeMeetsPolicy", t.active().map(v -> policy.allows(v.algorithm())).orElse(false))
            .put("allowed", policy.allowedNow()))))
        .onSuccess(view -> Requests.json(ctx, 200, view))
        .onFailure(ctx::fail);
  }

  private void currentKey(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    Auth.principal(api, ctx, tid)
        .compose(p -> api.directory().activeForPublishing(tid))
        .onSuccess(v -> {
          ctx.response().putHeader("Cache-Control", "max-age=" + api.config().rolloverWindowSeconds());
          Requests.json(ctx, 200, TenantViews.currentKey(v));
        })
        .onFailure(ctx::fail);
  }

  private void jwks(RoutingContext ctx) {
    api.directory().require(ctx.pathParam("tid"))
        .onSuccess(t -> {
          ctx.response()
              .putHeader("Cache-Control", "public, max-age=" + api.config().rolloverWindowSeconds())
              .putHeader("Content-Type", "application/jwk-set+json")
              .end(TenantViews.jwks(t).encode());
        })
        .onFailure(ctx::fail);
  }
}
