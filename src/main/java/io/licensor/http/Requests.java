package io.licensor.http;

import io.licensor.cluster.Propagation;

import io.licensor.json.StrictJson;

import io.licensor.errors.Problem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.ThreadLocalRandom;

/** Small helpers every route uses: the request id and the JSON body. */
final class Requests {

  private static final String ID = "licensor.requestId";

  private Requests() {
  }

  /** Gives each request an id, returned in X-Request-Id and in every problem body. */
  static void assignId(RoutingContext ctx) {
    String id = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    ctx.put(ID, id);
    ctx.response().putHeader("X-Request-Id", id);
    ctx.next();
  }

  static String id(RoutingContext ctx) {
    String id = ctx.get(ID);
    return id == null ? "-" : id;
  }

  /** As {@link #jsonObject}, an empty body being an empty object (an optional body). */
  static JsonObject optionalJsonObject(RoutingContext ctx) {
    Buffer buffer = ctx.body() == null ? null : ctx.body().buffer();
    return buffer == null || buffer.length() == 0 ? new JsonObject() : jsonObject(ctx);
  }

  /** The body as a JSON object, or 400 malformed-json / invalid-request / 415. */
  static JsonObject jsonObject(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType != null && !contentType.toLowerCase().startsWith("application/json")
        && !contentType.toLowerCase().contains("+json")) {
      throw Problem.UNSUPPORTED_MEDIA_TYPE.with("send the body as application/json");
    }
    Buffer buffer = ctx.body() == null ? null : ctx.body().buffer();
    if (buffer == null || buffer.length() == 0) {
      throw Problem.INVALID_REQUEST.with("a JSON object body is required");
    }
    StrictJson.check(buffer.getBytes());
    Object value;
    try {
      value = buffer.toJsonValue();
    } catch (DecodeException e) {
      throw Problem.MALFORMED_JSON.with("the body is not valid JSON");
    }
    if (!(value instanceof JsonObject json)) {
      throw Problem.INVALID_REQUEST.with("the body must be a JSON object");
    }
    return json;
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    json(ctx, status, body.toBuffer());
  }

  /** As {@link #json(RoutingContext, int, JsonObject)}, the body already encoded to its bytes. */
  static void json(RoutingContext ctx, int status, Buffer encodedBody) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(encodedBody);
  }

  /**
   * Says how far the change reached: the Licensor-Propagation header (complete or incomplete) on
   * every lifecycle response, and a propagation member in JSON bodies.
   */
  static JsonObject withPropagation(RoutingContext ctx, JsonObject body, Propagation p) {
    ctx.response().putHeader(Propagation.HEADER, p.headerValue());
    return body.put("propagation", p.toJson());
  }
}
