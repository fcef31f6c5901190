package io.licensor.http;

import io.licensor.errors.Problem;
import io.licensor.identity.Principal;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/** Authenticates the caller of a route from its Authorization header. */
final class Auth {

  private Auth() {
  }

  static Future<Principal> principal(Api api, RoutingContext ctx, String tenantId) {
    return api.authenticator().authenticate(ctx.request().getHeader("Authorization"), tenantId);
  }

  /** The caller, if an operator; else 403 forbidden saying what needed the role. */
  static Future<Principal> operator(Principal p, String what) {
    return p.operator() ? Future.succeededFuture(p)
        : Future.failedFuture(Problem.FORBIDDEN.with(what + " needs the operator role"));
  }

  /** The caller, if an operator or an administrator of this tenant; else 403 forbidden. */
  static Future<Principal> operatorOrTenantAdmin(Principal p, String tid) {
    return p.operator() || p.isTenantAdminOf(tid)
        ? Future.succeededFuture(p)
        : Future.failedFuture(Problem.FORBIDDEN.with("this needs the operator or tenant-admin role"));
  }
}
