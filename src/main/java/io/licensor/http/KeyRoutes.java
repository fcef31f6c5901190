package io.licensor.http;

import io.licensor.lifecycle.KeyLifecycle;

import io.licensor.cluster.Propagation;
import io.licensor.errors.Problem;
import io.licensor.keys.KeyVersion;
import io.licensor.tenants.TenantViews;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;


/** A tenant's key versions: re-key, destroy and export. */
public final class KeyRoutes implements Routes {

  private final Auth auth;
  private final KeyLifecycle lifecycle;
  private final KeyOperationGate gate;

  public KeyRoutes(Auth auth, KeyLifecycle lifecycle, KeyOperationGate gate) {
    this.auth = auth;
    this.lifecycle = lifecycle;
    this.gate = gate;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.post("/v1/tenants/:tid/keys/rekey").handler(body).handler(this::rekey);
    router.delete("/v1/tenants/:tid/keys/:version").handler(body).handler(this::destroy);
    router.post("/v1/tenants/:tid/keys/:version/export").handler(body).handler(this::export);
    router.route("/v1/tenants/:tid/keys/:version/export").handler(this::exportOtherMethod);
  }

  private void rekey(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> gate.limited(p, tid, "re-key", () -> lifecycle.rekey(p, tid, Requests.jsonObject(ctx), Requests.id(ctx))))
        .onSuccess(c -> {
          KeyVersion v = c.value();
          ctx.response().putHeader("Location", "/v1/tenants/" + tid + "/keys/" + v.version());
          ctx.response().putHeader(LicensingRoutes.CURRENT_KID_HEADER, v.kid());
          Requests.json(ctx, 201, Requests.withPropagation(ctx, TenantViews.keyVersion(v), c.propagation()));
        })
        .onFailure(ctx::fail);
  }

  private void destroy(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operator(p, "this"))
        .compose(p -> {
          int version = version(ctx);
          String reason = ctx.queryParams().get("reason");
          if (reason == null && ctx.body() != null && ctx.body().length() > 0) {
            Object r = Requests.jsonObject(ctx).getValue("reason");
            reason = r instanceof String s ? s : null;
          }
          if (reason == null || reason.isBlank() || reason.length() > 1000 || reason.chars().anyMatch(Character::isISOControl)) {
            throw Problem.INVALID_REQUEST.with("a reason is required (?reason=... or {\"reason\":...}), at most 1000 "
                + "characters, no control characters");
          }
          return lifecycle.destroy(p, tid, version, reason, Requests.id(ctx));
        })
        .onSuccess(c -> {
          ctx.response().putHeader(Propagation.HEADER, c.propagation().headerValue())
              // 204 either way (SPEC §4: idempotent); the header says which
              .putHeader("Licensor-Outcome", c.value() ? "destroyed" : "already-destroyed");
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  private void export(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> {
          JsonObject body = ctx.body() != null && ctx.body().length() > 0 ? Requests.jsonObject(ctx) : new JsonObject();
          String format = ctx.queryParams().get("format");
          if (format != null) {
            body.put("format", format);
          }
          return gate.limited(p, tid, "export", () -> lifecycle.export(p, tid, version(ctx), body, Requests.id(ctx)));
        })
        .onSuccess(json -> {
          ctx.response().putHeader("Cache-Control", "no-store");
          Requests.json(ctx, 200, json);
        })
        .onFailure(ctx::fail);
  }

  /** Exports go through POST only; any other method is refused the same way for a BYOK key. */
  private void exportOtherMethod(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> lifecycle.exportByOtherMethod(p, tid, version(ctx), Requests.id(ctx)))
        .onFailure(ctx::fail);
  }

  private static int version(RoutingContext ctx) {
    String v = ctx.pathParam("version");
    if (v == null || !v.matches("[1-9][0-9]{0,8}")) {
      throw Problem.UNKNOWN_KEY_VERSION.with("key versions are positive integers");
    }
    return Integer.parseInt(v);
  }
}
