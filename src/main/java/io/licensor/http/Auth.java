package io.licensor.http;

import io.licensor.errors.Problem;
import io.licensor.identity.Authenticator;
import io.licensor.identity.Principal;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Authenticates the caller of a route from its Authorization header. */
public final class Auth {

  private final Authenticator authenticator;

  public Auth(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  Future<Principal> principal(RoutingContext ctx, String tenantId) {
    return authenticator.authenticate(ctx.request().getHeader("Authorization"), tenantId);
  }

  /** The caller, if the request carries a token that verifies: else nobody (for routes that answer anyone). */
  Future<Principal> optionalPrincipal(RoutingContext ctx) {
    String authorization = ctx.request().getHeader("Authorization");
    return authorization == null ? Future.succeededFuture(null)
        : authenticator.authenticate(authorization, null).otherwise((Principal) null);
  }

  private static final Pattern TENANT_PATH = Pattern.compile("^/v1/tenants/([^/]+)");

  /**
   * Runs first, for every request that carries a body: the caller is authenticated before a byte of
   * the body is read (the request stays paused meanwhile), so an anonymous or forged request is
   * refused (401/403) without the node buffering what it sent. The route authenticates again, from
   * the verified-token cache. A request without a body goes on untouched.
   */
  Handler<RoutingContext> beforeBody() {
    return ctx -> {
      HttpServerRequest request = ctx.request();
      String length = request.getHeader("Content-Length");
      boolean body = request.getHeader("Transfer-Encoding") != null || (length != null && !"0".equals(length.trim()));
      if (!body || request.isEnded()) {
        ctx.next();
        return;
      }
      request.pause();
      Matcher m = TENANT_PATH.matcher(request.path());
      String tenantId = m.find() && !"restore".equals(m.group(1)) ? m.group(1) : null;
      authenticator.authenticate(request.getHeader("Authorization"), tenantId)
          .onSuccess(p -> {
            // a route that answers without reading the body (413 from its Content-Length) must not
            // leave the request paused: let the server discard the rest once the answer is out
            ctx.addEndHandler(v -> {
              if (!request.isEnded()) {
                request.resume();
              }
            });
            ctx.next();
          })
          .onFailure(err -> {
            // nothing of the body is kept. HTTP/1.x: close the connection once the answer is out,
            // rather than read what the caller still sends; HTTP/2: discard the rest of this stream
            // (closing would end the connection's other streams too)
            if (request.version() == HttpVersion.HTTP_2) {
              ctx.addEndHandler(v -> request.resume());
            } else {
              ctx.response().putHeader("Connection", "close");
              ctx.response().endHandler(v -> request.connection().close());
            }
            ctx.fail(err);
          });
    };
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
