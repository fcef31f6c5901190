package io.licensor.http;

import io.licensor.cluster.ClusterView;
import io.licensor.errors.Problem;
import io.licensor.ids.TenantId;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Arrays;
import java.util.List;

/** {@code GET /v1/cluster}: the members and each member's view, for operators. */
public final class ClusterRoutes implements Routes {

  private static final int MAX_TENANTS = 100;

  private final Auth auth;
  private final ClusterView view;

  public ClusterRoutes(Auth auth, ClusterView view) {
    this.auth = auth;
    this.view = view;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.get("/v1/cluster").handler(this::cluster);
  }

  private void cluster(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "the cluster view"))
        .compose(p -> {
          List<String> tenants = ctx.queryParam("tenant").stream()
              .flatMap(t -> Arrays.stream(t.split(","))).map(String::trim).filter(t -> !t.isEmpty())
              .distinct().toList();
          if (tenants.size() > MAX_TENANTS || !tenants.stream().allMatch(TenantId::isValid)) {
            throw Problem.INVALID_REQUEST.with("tenant: at most " + MAX_TENANTS + " tenant ids, each matching "
                + TenantId.FORM);
          }
          int limit = ClusterView.DEFAULT_LIMIT;
          String l = ctx.queryParams().get("limit");
          if (l != null) {
            try {
              limit = Integer.parseInt(l);
            } catch (NumberFormatException e) {
              limit = -1;
            }
            if (limit < 0 || limit > 10_000) {
              throw Problem.INVALID_REQUEST.with("limit must be an integer from 0 to 10000");
            }
          }
          return view.cluster(tenants, limit);
        })
        .onSuccess(body -> {
          ctx.response().putHeader("Cache-Control", "no-store");
          Requests.json(ctx, 200, body);
        })
        .onFailure(ctx::fail);
  }
}
