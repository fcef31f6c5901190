package io.licensor.http;

import io.licensor.lifecycle.KeyLifecycle;
import io.licensor.mail.Outbox;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/** {@code POST /v1/mail/test {to}}: a test message through the outbox's mail settings, sent now (operators). */
public final class MailRoutes implements Routes {

  private final Auth auth;
  private final Outbox outbox;

  public MailRoutes(Auth auth, Outbox outbox) {
    this.auth = auth;
    this.outbox = outbox;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.post("/v1/mail/test").handler(body).handler(this::test);
  }

  private void test(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "a test e-mail"))
        .compose(p -> {
          JsonObject request = Requests.jsonObject(ctx);
          for (String field : request.fieldNames()) {
            if (!field.equals("to")) {
              throw io.licensor.errors.Problem.INVALID_REQUEST.with(field + " is not a member of a mail test ({to})");
            }
          }
          return outbox.sendTest(request.getValue("to") instanceof String to ? to : null, KeyLifecycle.describe(p));
        })
        .onSuccess(answer -> Requests.json(ctx, 200, answer))
        .onFailure(ctx::fail);
  }
}
