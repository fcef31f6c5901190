package io.licensor.http;

import io.licensor.byok.ByokService;
import io.licensor.errors.Problem;
import io.licensor.ids.TenantId;
import io.licensor.lifecycle.KeyLifecycle;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/** Key-exchange keys for BYOK transfers. */
public final class ByokRoutes implements Routes {

  private final Auth auth;
  private final ByokService byok;
  private final KeyOperationGate gate;

  public ByokRoutes(Auth auth, ByokService byok, KeyOperationGate gate) {
    this.auth = auth;
    this.byok = byok;
    this.gate = gate;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.post("/v1/tenants/:tid/byok/kek").handler(body).handler(this::kek);
  }

  /**
   * A key-exchange key for a BYOK transfer. Tenant-admins ask for their own tenant; operators for
   * any tenant id, including one not created yet (the KEK is bound to that id, and only a tenant
   * created with that id can import with it).
   */
  private void kek(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    if (!TenantId.isValid(tid)) {
      ctx.fail(Problem.INVALID_REQUEST.with("tenant ids match " + TenantId.FORM));
      return;
    }
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> gate.limited(p, tid, "key-exchange key", () -> byok.createKek(tid, KeyLifecycle.describe(p), Requests.id(ctx))))
        .onSuccess(kek -> Requests.json(ctx, 201, kek))
        .onFailure(ctx::fail);
  }
}
