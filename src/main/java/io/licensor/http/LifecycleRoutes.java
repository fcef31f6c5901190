package io.licensor.http;

import io.licensor.cluster.Propagation;
import io.licensor.errors.Problem;
import io.licensor.keys.KeyVersion;
import io.licensor.tenants.TenantViews;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.time.Instant;

/** Re-key, cancel, reactivate, destroy, export, and the audit trail. */
final class LifecycleRoutes {

  private final Api api;

  LifecycleRoutes(Api api) {
    this.api = api;
  }

  void mount(Router router, BodyHandler body) {
    router.post("/v1/tenants/:tid/keys/rekey").handler(body).handler(this::rekey);
    router.post("/v1/tenants/:tid/cancel").handler(body).handler(this::cancel);
    router.post("/v1/tenants/:tid/reactivate").handler(body).handler(this::reactivate);
    router.delete("/v1/tenants/:tid/keys/:version").handler(body).handler(this::destroy);
    router.post("/v1/tenants/:tid/keys/:version/export").handler(body).handler(this::export);
    router.route("/v1/tenants/:tid/keys/:version/export").handler(this::exportOtherMethod);
    router.get("/v1/tenants/:tid/audit").handler(this::audit);
    router.post("/v1/tenants/:tid/byok/kek").handler(body).handler(this::kek);
  }

  private void rekey(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    Auth.principal(api, ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> limited(p, tid, "re-key", () -> api.lifecycle().rekey(p, tid, Requests.jsonObject(ctx), Requests.id(ctx))))
        .onSuccess(c -> {
          KeyVersion v = c.value();
          ctx.response().putHeader("Location", "/v1/tenants/" + tid + "/keys/" + v.version());
          ctx.response().putHeader(LicensingRoutes.CURRENT_KID_HEADER, v.kid());
          Requests.json(ctx, 201, withPropagation(ctx, TenantViews.keyVersion(v), c.propagation()));
        })
        .onFailure(ctx::fail);
  }

  private void cancel(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    Auth.principal(api, ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> api.lifecycle().cancel(p, tid, Requests.id(ctx)))
        .onSuccess(c -> Requests.json(ctx, 200, withPropagation(ctx, TenantViews.tenant(c.value()), c.propagation())))
        .onFailure(ctx::fail);
  }

  private void reactivate(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    Auth.principal(api, ctx, tid)
        .compose(p -> Auth.operator(p, "this"))
        .compose(p -> api.lifecycle().reactivate(p, tid, Requests.id(ctx)))
        .onSuccess(c -> Requests.json(ctx, 200, withPropagation(ctx, TenantViews.tenant(c.value()), c.propagation())))
        .onFailure(ctx::fail);
  }

  private void destroy(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    Auth.principal(api, ctx, tid)
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
          return api.lifecycle().destroy(p, tid, version, reason, Requests.id(ctx));
        })
        .onSuccess(c -> {
          ctx.response().putHeader(Propagation.HEADER, c.propagation().headerValue());
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  /**
   * A tenant admin's costly key operation (export, key-exchange key, re-key), within the tenant's
   * {@link io.licensor.limits.KeyOperationLimits}: 429 rate-limited beyond them. Operators, and
   * callers the operation itself will refuse (no tenant-admin role), are not counted.
   */
  private <T> io.vertx.core.Future<T> limited(io.licensor.identity.Principal p, String tid, String operation,
                                             java.util.function.Supplier<io.vertx.core.Future<T>> work) {
    if (!p.isTenantAdminOf(tid)) {
      return work.get();
    }
    try {
      api.keyOperations().begin(tid, operation);
    } catch (io.licensor.errors.ProblemException e) {
      return io.vertx.core.Future.failedFuture(e);
    }
    io.vertx.core.Future<T> running;
    try {
      running = work.get();
    } catch (RuntimeException e) {
      api.keyOperations().finished(tid);
      throw e;
    }
    return running.onComplete(x -> api.keyOperations().finished(tid));
  }

  /**
   * Says how far the change reached: the Licensor-Propagation header (complete or incomplete) on
   * every lifecycle response, and a propagation member in JSON bodies.
   */
  static JsonObject withPropagation(RoutingContext ctx, JsonObject body, Propagation p) {
    ctx.response().putHeader(Propagation.HEADER, p.headerValue());
    return body.put("propagation", p.toJson());
  }

  private void export(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    Auth.principal(api, ctx, tid)
        .compose(p -> {
          JsonObject body = ctx.body() != null && ctx.body().length() > 0 ? Requests.jsonObject(ctx) : new JsonObject();
          String format = ctx.queryParams().get("format");
          if (format != null) {
            body.put("format", format);
          }
          return limited(p, tid, "export", () -> api.lifecycle().export(p, tid, version(ctx), body, Requests.id(ctx)));
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
    Auth.principal(api, ctx, tid)
        .compose(p -> api.lifecycle().exportByOtherMethod(p, tid, version(ctx), Requests.id(ctx)))
        .onFailure(ctx::fail);
  }

  /**
   * A key-exchange key for a BYOK transfer. Tenant-admins ask for their own tenant; operators for
   * any tenant id, including one not created yet (the KEK is bound to that id, and only a tenant
   * created with that id can import with it).
   */
  private void kek(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    if (!io.licensor.ids.TenantId.isValid(tid)) {
      ctx.fail(Problem.INVALID_REQUEST.with("tenant ids match " + io.licensor.ids.TenantId.FORM));
      return;
    }
    Auth.principal(api, ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> limited(p, tid, "key-exchange key", () -> api.byok().createKek(tid)
            .compose(kek -> api.audit().record(io.licensor.audit.AuditEvent.now(tid, kek.getString("kid"),
                io.licensor.lifecycle.KeyLifecycle.describe(p), "byok.kek", "ok", api.audit().node(), Requests.id(ctx), null))
                .map(x -> kek))))
        .onSuccess(kek -> Requests.json(ctx, 201, kek))
        .onFailure(ctx::fail);
  }

  private void audit(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    Auth.principal(api, ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> api.directory().require(tid))
        .compose(t -> {
          Instant from = instant(ctx.queryParams().get("from"), Instant.EPOCH, "from");
          Instant to = instant(ctx.queryParams().get("to"), LATEST, "to");
          int limit = integer(ctx.queryParams().get("limit"), 100, 1, 1000, "limit");
          long after = integer(ctx.queryParams().get("after"), 0, 0, Integer.MAX_VALUE, "after");
          return api.audit().read(tid, from, to, after, limit);
        })
        .onSuccess(page -> Requests.json(ctx, 200, new JsonObject()
            .put("tenant", tid)
            .put("events", page.events())
            .put("next", page.next())
            .put("chainValid", page.chain().valid())
            .put("brokenAt", page.chain().brokenAt())
            .put("records", page.chain().records())))
        .onFailure(ctx::fail);
  }

  private static int version(RoutingContext ctx) {
    String v = ctx.pathParam("version");
    if (v == null || !v.matches("[1-9][0-9]{0,8}")) {
      throw Problem.UNKNOWN_KEY_VERSION.with("key versions are positive integers");
    }
    return Integer.parseInt(v);
  }

  private static Instant instant(String value, Instant fallback, String name) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    Instant parsed;
    try {
      parsed = value.matches("-?[0-9]{1,19}") ? Instant.ofEpochSecond(Long.parseLong(value)) : Instant.parse(value);
    } catch (java.time.DateTimeException | NumberFormatException e) {
      throw Problem.INVALID_REQUEST.with(name + " must be an ISO-8601 instant or epoch seconds");
    }
    if (parsed.isBefore(Instant.EPOCH) || parsed.isAfter(LATEST)) {
      throw Problem.INVALID_REQUEST.with(name + " must lie between 1970-01-01T00:00:00Z and " + LATEST);
    }
    return parsed;
  }

  /** The latest instant an audit query may name (PostgreSQL's timestamps reach further; nothing is recorded there). */
  private static final Instant LATEST = io.licensor.audit.AuditLog.LATEST;

  private static int integer(String value, int fallback, int min, int max, String name) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value);
      if (n < min || n > max) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw Problem.INVALID_REQUEST.with(name + " must be an integer from " + min + " to " + max);
    }
  }
}
