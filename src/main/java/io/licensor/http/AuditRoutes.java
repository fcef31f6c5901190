package io.licensor.http;

import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditTrail;
import io.licensor.errors.Problem;
import io.licensor.tenants.KeyDirectory;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.time.DateTimeException;
import java.time.Instant;

/**
 * A tenant's audit trail, and the service-wide one (incidents, the crypto policy, restores:
 * operators only), page by page, with whether the hash chain holds.
 */
public final class AuditRoutes implements Routes {

  private final Auth auth;
  private final KeyDirectory directory;
  private final AuditTrail audit;

  public AuditRoutes(Auth auth, KeyDirectory directory, AuditTrail audit) {
    this.auth = auth;
    this.directory = directory;
    this.audit = audit;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.get("/v1/tenants/:tid/audit").handler(this::audit);
    router.get("/v1/audit").handler(this::serviceAudit);
  }

  private void serviceAudit(RoutingContext ctx) {
    auth.principal(ctx, null)
        .compose(p -> Auth.operator(p, "the service-wide audit"))
        .compose(p -> page(ctx, AuditEvent.SERVICE_CHAIN))
        .onSuccess(page -> Requests.json(ctx, 200, answer(new JsonObject().put("chain", "service"), page)))
        .onFailure(ctx::fail);
  }

  /** A page of a chain, after what names the chain: its records, where the next page starts, whether the chain holds. */
  private static JsonObject answer(JsonObject chain, AuditTrail.Page page) {
    return chain
        .put("events", page.events())
        .put("next", page.next())
        .put("chainValid", page.chain().valid())
        .put("brokenAt", page.chain().brokenAt())
        .put("records", page.chain().records());
  }

  private io.vertx.core.Future<AuditTrail.Page> page(RoutingContext ctx, String chain) {
    Instant from = instant(ctx.queryParams().get("from"), Instant.EPOCH, "from");
    Instant to = instant(ctx.queryParams().get("to"), LATEST, "to");
    int limit = integer(ctx.queryParams().get("limit"), 100, 1, 1000, "limit");
    long after = integer(ctx.queryParams().get("after"), 0, 0, Integer.MAX_VALUE, "after");
    return audit.read(chain, from, to, after, limit);
  }

  private void audit(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    auth.principal(ctx, tid)
        .compose(p -> Auth.operatorOrTenantAdmin(p, tid))
        .compose(p -> directory.require(tid))
        .compose(t -> page(ctx, tid))
        .onSuccess(page -> Requests.json(ctx, 200, answer(new JsonObject().put("tenant", tid), page)))
        .onFailure(ctx::fail);
  }

  private static Instant instant(String value, Instant fallback, String name) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    Instant parsed;
    try {
      parsed = value.matches("-?[0-9]{1,19}") ? Instant.ofEpochSecond(Long.parseLong(value)) : Instant.parse(value);
    } catch (DateTimeException | NumberFormatException e) {
      throw Problem.INVALID_REQUEST.with(name + " must be an ISO-8601 instant or epoch seconds");
    }
    if (parsed.isBefore(Instant.EPOCH) || parsed.isAfter(LATEST)) {
      throw Problem.INVALID_REQUEST.with(name + " must lie between 1970-01-01T00:00:00Z and " + LATEST);
    }
    return parsed;
  }

  /** The latest instant an audit query may name (PostgreSQL's timestamps reach further; nothing is recorded there). */
  private static final Instant LATEST = AuditTrail.LATEST;

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
