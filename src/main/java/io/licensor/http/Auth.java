package io.licensor.http;

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
}
