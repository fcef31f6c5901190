package io.licensor.http;

import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.identity.Principal;
import io.licensor.ids.Kid;
import io.licensor.licensing.LicensingService;
import io.licensor.limits.TenantRateLimits;
import io.licensor.metrics.Metrics;
import io.licensor.tenants.KeyDirectory;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Online publishing and use-license acquisition, for users of the tenant. Every answer names the
 * tenant's current kid ({@code Licensor-Current-Kid} header) so caching clients learn of a re-key.
 */
public final class LicensingRoutes implements Routes {

  static final String CURRENT_KID_HEADER = "Licensor-Current-Kid";

  private final Auth auth;
  private final LicensingService licensing;
  private final KeyDirectory directory;
  private final TenantRateLimits limits;
  private final Metrics metrics;

  public LicensingRoutes(Auth auth, LicensingService licensing, KeyDirectory directory, TenantRateLimits limits,
                         Metrics metrics) {
    this.auth = auth;
    this.licensing = licensing;
    this.directory = directory;
    this.limits = limits;
    this.metrics = metrics;
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    router.post("/v1/tenants/:tid/publishing-licenses").handler(body).handler(this::publish);
    router.post("/v1/tenants/:tid/licenses").handler(body).handler(this::license);
    router.post("/v1/tenants/:tid/publishing-licenses/republish").handler(body).handler(this::republish);
  }

  /** A document re-published by its publisher under the current version: same content id and key. */
  private void republish(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    long started = System.nanoTime();
    long stamp = directory.leaseStamp();
    auth.principal(ctx, tid)
        .compose(p -> requireUser(p, tid))
        .compose(p -> activeTenant(p, tid))
        .compose(p -> withinRate(p, tid))
        .compose(p -> licensing.republish(p, tid, Requests.jsonObject(ctx), Requests.id(ctx), stamp))
        .onComplete(ar -> metrics.publish(outcome(ar), System.nanoTime() - started))
        .onSuccess(pl -> {
          metrics.keyUse(pl.kid(), "publish");
          currentKid(ctx, tid);
          answer(ctx, tid, 0, stamp, 201, new JsonObject().put("publishingLicense", pl.publishingLicense()).put("kid", pl.kid()));
        })
        .onFailure(ctx::fail);
  }

  private void publish(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    long started = System.nanoTime();
    long stamp = directory.leaseStamp(); // before anything reads the tenant
    auth.principal(ctx, tid)
        .compose(p -> requireUser(p, tid))
        .compose(p -> activeTenant(p, tid))
        .compose(p -> withinRate(p, tid))
        .compose(p -> licensing.publish(p, tid, Requests.jsonObject(ctx), Requests.id(ctx), stamp))
        .compose(pl -> directory.recheck(tid, 0, stamp).map(pl))
        .onComplete(ar -> metrics.publish(outcome(ar), System.nanoTime() - started))
        .onSuccess(pl -> {
          metrics.keyUse(pl.kid(), "publish");
          currentKid(ctx, tid);
          answer(ctx, tid, 0, stamp, 201, new JsonObject().put("publishingLicense", pl.publishingLicense()).put("kid", pl.kid()));
        })
        .onFailure(ctx::fail);
  }

  private void license(RoutingContext ctx) {
    String tid = ctx.pathParam("tid");
    long started = System.nanoTime();
    long stamp = directory.leaseStamp(); // before anything reads the tenant
    auth.principal(ctx, tid)
        .compose(p -> requireUser(p, tid))
        .compose(p -> activeTenant(p, tid).recover(err -> destroyedFirst(err, tid, ctx)))
        .compose(p -> withinRate(p, tid))
        .compose(p -> licensing.license(p, tid, Requests.jsonObject(ctx), Requests.id(ctx), stamp))
        // the last moment before the answer: if the lease the request read the tenant under ran out meanwhile (the node
        // was paused), the tenant is checked again
        .compose(ul -> directory.recheck(tid, Kid.versionOf(ul.kid()), stamp).map(ul))
        .onComplete(ar -> metrics.license(outcome(ar), System.nanoTime() - started))
        .onSuccess(ul -> {
          metrics.keyUse(ul.kid(), "license");
          currentKid(ctx, tid);
          JsonArray rights = new JsonArray();
          ul.rights().stream().sorted().forEach(r -> rights.add(r.name()));
          answer(ctx, tid, Kid.versionOf(ul.kid()), stamp, 200, new JsonObject()
              .put("useLicense", ul.useLicense())
              .put("kid", ul.kid())
              .put("rights", rights)
              .put("expiresAt", ul.expiresAt())
              .put("offlineAccessSeconds", ul.offlineAccessSeconds())
              .put("currentKid", ul.currentKid()));
        })
        .onFailure(ctx::fail);
  }

  /**
   * Gives the answer, unless the lease the request read the tenant under has run out since its
   * recheck: the node was paused between the two (FrozenNodeTest once saw a license that was
   * rechecked just before a SIGSTOP delivered after the thaw, after a cancel had returned). Then
   * the tenant is checked again first. The body is encoded to its bytes before this last look, so
   * only the write itself comes after it. That write cannot be fenced by the process: one stopped
   * between the look and the socket write sends that one answer when it resumes (docs/design.md,
   * "Leases").
   */
  private void answer(RoutingContext ctx, String tid, int version, long stamp, int status, JsonObject body) {
    Buffer encoded = body.toBuffer();
    if (directory.leaseRuns(stamp)) {
      Requests.json(ctx, status, encoded);
      return;
    }
    directory.recheck(tid, version, stamp).onSuccess(v -> Requests.json(ctx, status, encoded)).onFailure(ctx::fail);
  }

  /** {@code ok}, or the problem slug the caller gets. */
  private static String outcome(AsyncResult<?> ar) {
    return ar.succeeded() ? "ok" : ProblemResponses.toProblem(ar.cause(), 500).problem().slug();
  }

  private void currentKid(RoutingContext ctx, String tid) {
    String kid = licensing.currentKid(tid);
    if (kid != null) {
      ctx.response().putHeader(CURRENT_KID_HEADER, kid);
    }
  }

  /**
   * The tenant's state before its rate: a cancelled tenant's clients are told so (403
   * subscription-cancelled), not to retry later (429).
   */
  private Future<Principal> activeTenant(Principal p, String tid) {
    return directory.requireActive(tid).map(t -> p);
  }

  /**
   * A cancelled tenant's license request for content under a destroyed version: 410 key-destroyed,
   * which no reactivation changes, rather than 403 subscription-cancelled.
   */
  private Future<Principal> destroyedFirst(Throwable err, String tid, RoutingContext ctx) {
    if (!(err instanceof ProblemException p) || p.problem() != Problem.SUBSCRIPTION_CANCELLED) {
      return Future.failedFuture(err);
    }
    JsonObject body;
    try {
      body = Requests.jsonObject(ctx);
    } catch (RuntimeException e) {
      return Future.failedFuture(err);
    }
    java.util.OptionalInt version = LicensingService.versionNamed(body);
    if (version.isEmpty()) {
      return Future.failedFuture(err);
    }
    // the directory's own rule (a destroyed version is said before the tenant's state) decides
    return directory.versionForLicensing(tid, version.getAsInt()).transform(ar -> Future.failedFuture(
        ar.failed() && ar.cause() instanceof ProblemException d && d.problem() == Problem.KEY_DESTROYED ? d : err));
  }

  /** The tenant's rate limit on this node: 429 rate-limited with Retry-After beyond it. */
  private Future<Principal> withinRate(Principal p, String tid) {
    long retryAfter = limits.acquire(tid);
    if (retryAfter == 0) {
      return Future.succeededFuture(p);
    }
    return Future.failedFuture(Problem.RATE_LIMITED
        .with("this tenant's requests exceed " + limits.ratePerSecond() + " per second on this node; retry after "
            + retryAfter + " s")
        .header("Retry-After", Long.toString(retryAfter)));
  }

  private static Future<Principal> requireUser(Principal p, String tid) {
    return p.isUserOf(tid)
        ? Future.succeededFuture(p)
        : Future.failedFuture(Problem.FORBIDDEN.with("publishing and licensing are for users of the tenant"));
  }
}
