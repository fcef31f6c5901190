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

  static void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    ProblemException problem = toProblem(failure, ctx.statusCode());
    if (problem.problem() == Problem.DATABASE_UNAVAILABLE) {
      LOG.warn("request {} {} {}: the database is unavailable ({})", Requests.id(ctx), ctx.request().method(),
          ctx.request().path(), failure.toString());
    } else if (problem.problem().status() >= 500 && problem.problem() != Problem.HSM_BUSY) {
      LOG.error("request {} {} {} failed", Requests.id(ctx), ctx.request().method(), ctx.request().path(), failure);
    }
    write(ctx, problem);
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
