package io.licensor.http;

import io.licensor.cryptopolicy.CryptoPolicies;
import io.licensor.delegation.SigningKeys;
import io.licensor.lifecycle.Changed;
import io.licensor.lifecycle.KeyLifecycle;
import io.licensor.lifecycle.TenantLifecycle;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.TenantKeys;
import io.licensor.tenants.TenantViews;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/** Tenants and their public keys: create, read, change, cancel, reactivate, current key, JWKS. */
public final class TenantRoutes implements Routes {

  private final Auth auth;
  private final TenantLifecycle tenants;
  private final KeyDirectory directory;
  private final SigningKeys signingKeys;
  private final CryptoPolicies policies;
  private final int rolloverWindowSeconds;

  /** {@code rolloverWindowSeconds}: how long clients may cache a tenant's current key and JWKS (SPEC §4). */
  public TenantRoutes(Auth auth, TenantLifecycle tenants, KeyDirectory directory, SigningKeys signingKeys,
                      CryptoPolicies policies, int rolloverWindowSeconds) {
    this.auth = auth;
    this.tenants = tenants;
    this.directory = directory;
    this.signingKeys = signingKeys;
    this.policies = policies;
    this.rolloverWindowSeconds = rolloverWindowSeconds;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.post("/v1/tenants").handler(body).handler(this::create);
    router.get("/v1/tenants/:tid").handler(this::get);
    router.patch("/v1/tenants/:tid").handler(body).handler(this::update);
    router.post("/v1/tenants/:tid/cancel").handler(body).handler(this::cancel);
    router.post("/v1/tenants/:tid/reactivate").handler(body).handler(this::reactivate);
    router.get("/v1/tenants/:tid/keys/current").handler(this::currentKey);
    router.get("/v1/tenants/:tid/jwks.json").handler(this::jwks);
  }

  private void create(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "creating tenants"))
        .compose(p -> tenants.create(KeyLifecycle.describe(p), Requests.jsonObject(ctx),
            Requests.id(ctx)))
        .onSuccess(t -> {
          ctx.response().putHeader("Location", "/v1/tenants/" + t.tenant().id())
              .putHeader("ETag", TenantViews.etag(t.revision()));
          Requests.json(ctx, 201, TenantViews.tenant(t));
        })
        .onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> directory.require(tid))
        .compose(t -> policies.current().map(policy -> {
          ctx.response().putHeader("ETag", TenantViews.etag(t.revision()));
          return TenantViews.tenant(t).put("cryptoPolicy", new JsonObject()
              .put("activeMeetsPolicy", t.active().map(v -> policy.allows(v.algorithm())).orElse(false))
              .put("allowed", policy.allowedNow()));
        }))
        .onSuccess(view -> Requests.json(ctx, 200, view))
        .onFailure(ctx::fail);
  }

  /** Changes display name, admin e-mail or identity; If-Match required (428), a stale one 412. */
  private void update(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> tenants.update(p, tid, Preconditions.revisions(ctx.request().getHeader("If-Match"), "tenant"),
            Requests.jsonObject(ctx), Requests.id(ctx)))
        .onSuccess(c -> changed(ctx, c))
        .onFailure(ctx::fail);
  }

  private static void changed(RoutingContext ctx, Changed<TenantKeys> c) {
    ctx.response().putHeader("ETag", TenantViews.etag(c.value().revision()));
    Requests.json(ctx, 200, Requests.withPropagation(ctx, TenantViews.tenant(c.value()), c.propagation()));
  }

  private void currentKey(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> directory.activeForPublishing(tid))
        .onSuccess(v -> {
          ctx.response().putHeader("Cache-Control", "max-age=" + rolloverWindowSeconds);
          Requests.json(ctx, 200, TenantViews.currentKey(v));
        })
        .onFailure(ctx::fail);
  }

  private void jwks(RoutingContext ctx) {
    directory.require(ctx.pathParam("tid"))
        .compose(t -> signingKeys.published(t.tenant().id(), t.revision()).map(delegated -> TenantViews.jwks(t, delegated)))
        .onSuccess(jwks -> {
          ctx.response()
              .putHeader("Cache-Control", "public, max-age=" + rolloverWindowSeconds)
              .putHeader("Content-Type", "application/jwk-set+json")
              .end(jwks.encode());
        })
        .onFailure(ctx::fail);
  }

  private void cancel(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> tenants.cancel(p, tid, Requests.id(ctx)))
        .onSuccess(c -> changed(ctx, c))
        .onFailure(ctx::fail);
  }

  private void reactivate(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operator(p, "this"))
        .compose(p -> tenants.reactivate(p, tid, Requests.optionalJsonObject(ctx), Requests.id(ctx)))
        .onSuccess(c -> changed(ctx, c))
        .onFailure(ctx::fail);
  }
}
