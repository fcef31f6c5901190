package io.licensor.http;

import io.licensor.db.Database;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.hsm.HsmBusyException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router-wide failure handler: every failure becomes an RFC 9457 problem response. Expected
 * failures carry their own detail; anything unexpected is logged with the request id and answered
 * with a fixed text, so no exception message ever reaches a caller.
 */
final class ProblemResponses {

  static final String CONTENT_TYPE = "application/problem+json";
  private static final Logger LOG = LoggerFactory.getLogger(ProblemResponses.class);

  private ProblemResponses() {
  }

  /** Transient 503s (the database, the audit, the directory, an identity provider): one line per kind per period. */
  private static final long TRANSIENT_LOG_PERIOD_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
  private static final java.util.concurrent.ConcurrentHashMap<Problem, long[]> TRANSIENTS =
      new java.util.concurrent.ConcurrentHashMap<>();

  static void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    ProblemException problem = toProblem(failure, ctx.statusCode());
    if (problem.problem().status() == 503 && problem.problem() != Problem.HSM_BUSY) {
      transient503(problem, Requests.id(ctx), ctx.request().method() + " " + ctx.request().path(), failure);
    } else if (problem.problem().status() >= 500 && problem.problem() != Problem.HSM_BUSY) {
      LOG.error("request {} {} {} failed", Requests.id(ctx), ctx.request().method(), ctx.request().path(), failure);
    }
    write(ctx, problem);
  }

  /**
   * A transient refusal (503 with Retry-After) is logged as a WARN without a stack trace, at most once
   * every 5 s per kind with how many there were since: under overload each request's ERROR and stack
   * trace (19,000 lines in a minute of a benchmark's overload) buried what mattered.
   */
  private static void transient503(ProblemException problem, String requestId, String request, Throwable failure) {
    long now = System.nanoTime();
    long[] state = TRANSIENTS.computeIfAbsent(problem.problem(), p -> new long[] {now - TRANSIENT_LOG_PERIOD_NANOS, 0});
    long suppressed;
    synchronized (state) {
      state[1]++;
      if (now - state[0] < TRANSIENT_LOG_PERIOD_NANOS) {
        return;
      }
      state[0] = now;
      suppressed = state[1] - 1;
      state[1] = 0;
    }
    String cause = failure == null || failure instanceof ProblemException ? problem.getMessage() : failure.toString();
    LOG.warn("request {} {}: 503 {} ({}){}", requestId, request, problem.problem().slug(), cause,
        suppressed > 0 ? "; and " + suppressed + " more 503 " + problem.problem().slug() + " since the last such line" : "");
  }

  static ProblemException toProblem(Throwable failure, int status) {
    if (failure instanceof ProblemException p) {
      return p;
    }
    if (failure instanceof HsmBusyException busy) {
      return Problem.HSM_BUSY.with(busy.getMessage() + "; retry after " + busy.retryAfterSeconds() + " s")
          .header("Retry-After", Integer.toString(busy.retryAfterSeconds()));
    }
    if (Database.unavailable(failure)) {
      return Problem.DATABASE_UNAVAILABLE.with("the database cannot be reached; retry shortly")
          .header("Retry-After", "2");
    }
    int code = failure instanceof HttpException http ? http.getStatusCode() : failure == null ? status : 500;
    return switch (code) {
      case 400 -> Problem.INVALID_REQUEST.with("the request could not be read");
      case 404 -> Problem.NOT_FOUND.with("no such resource");
      case 405 -> Problem.METHOD_NOT_ALLOWED.with("this resource does not accept that method");
      case 413 -> Problem.PAYLOAD_TOO_LARGE.with("the request body exceeds the server's limit");
      case 415 -> Problem.UNSUPPORTED_MEDIA_TYPE.with("send application/json");
      default -> Problem.INTERNAL_ERROR.with("an internal error occurred; quote the requestId to support");
    };
  }

  static void write(RoutingContext ctx, ProblemException p) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      response.reset();
      return;
    }
    JsonObject body = new JsonObject()
        .put("type", p.problem().type())
        .put("title", p.problem().title())
        .put("status", p.problem().status())
        .put("detail", p.detail())
        .put("requestId", Requests.id(ctx));
    p.headers().forEach(response::putHeader);
    response.setStatusCode(p.problem().status())
        .putHeader("Content-Type", CONTENT_TYPE)
        .putHeader("Cache-Control", "no-store")
        .end(body.encode());
  }
}
