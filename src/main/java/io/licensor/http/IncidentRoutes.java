package io.licensor.http;

import io.licensor.cryptopolicy.CryptoPolicies;
import io.licensor.cryptopolicy.CryptoPolicy;
import io.licensor.incidents.IncidentService;
import io.licensor.lifecycle.KeyLifecycle;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/** Incidents (breach response) and the crypto policy, for operators. */
public final class IncidentRoutes implements Routes {

  private final Auth auth;
  private final IncidentService incidents;
  private final CryptoPolicies policies;

  public IncidentRoutes(Auth auth, IncidentService incidents, CryptoPolicies policies) {
    this.auth = auth;
    this.incidents = incidents;
    this.policies = policies;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.post("/v1/incidents").handler(body).handler(this::declare);
    router.get("/v1/incidents").handler(this::list);
    router.get("/v1/incidents/:id").handler(this::get);
    router.post("/v1/incidents/:id/hsm-updated").handler(body).handler(this::hsmUpdated);
    router.get("/v1/crypto-policy").handler(this::policy);
    router.put("/v1/crypto-policy").handler(body).handler(this::setPolicy);
  }

  private void declare(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "declaring incidents"))
        .compose(p -> incidents.declare(KeyLifecycle.describe(p), Requests.jsonObject(ctx), Requests.id(ctx)))
        .onSuccess(view -> {
          ctx.response().putHeader("Location", "/v1/incidents/" + view.getString("id"));
          Requests.json(ctx, 201, view);
        })
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "the incident list"))
        .compose(p -> incidents.list(100))
        .onSuccess(list -> Requests.json(ctx, 200, new JsonObject().put("incidents", list)))
        .onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "incidents"))
        .compose(p -> incidents.get(ctx.pathParam("id")))
        .onSuccess(view -> {
          ctx.response().putHeader("Cache-Control", "no-store");
          Requests.json(ctx, 200, view);
        })
        .onFailure(ctx::fail);
  }

  private void hsmUpdated(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "recording an HSM update"))
        .compose(p -> incidents.recordHsmUpdate(KeyLifecycle.describe(p), ctx.pathParam("id"),
            Requests.jsonObject(ctx), Requests.id(ctx)))
        .onSuccess(view -> Requests.json(ctx, 200, view))
        .onFailure(ctx::fail);
  }

  private void policy(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "the crypto policy"))
        .compose(p -> policies.current())
        .onSuccess(policy -> Requests.json(ctx, 200, policy.toJson()))
        .onFailure(ctx::fail);
  }

  private void setPolicy(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "changing the crypto policy"))
        .compose(p -> {
          CryptoPolicy policy = CryptoPolicy.parse(Requests.jsonObject(ctx), "body");
          return policies.set(policy, KeyLifecycle.describe(p), Requests.id(ctx));
        })
        .onSuccess(policy -> Requests.json(ctx, 200, policy.toJson()))
        .onFailure(ctx::fail);
  }
}
