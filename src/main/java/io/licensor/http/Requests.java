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

  /** A caller's request id we keep: 1 to 64 of letters, digits, '.', '_', '-' (nothing that can forge a log line). */
  private static final java.util.regex.Pattern CALLER_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,64}");
  /** W3C Trace Context, version 00: {@code 00-<trace-id>-<parent-id>-<flags>}. */
  private static final java.util.regex.Pattern TRACEPARENT =
      java.util.regex.Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");

  /**
   * Gives each request an id, returned in X-Request-Id, in every problem body and in the log: the
   * caller's {@code X-Request-Id} when it is a plain token (see {@link #CALLER_ID}), else the trace id of a
   * valid W3C {@code traceparent}, else a fresh one. A valid {@code traceparent} is echoed as received;
   * anything malformed is ignored, never echoed.
   */
  static void assignId(RoutingContext ctx) {
    String callerId = ctx.request().getHeader("X-Request-Id");
    String traceparent = validTraceparent(ctx.request().getHeader("traceparent"));
    String id;
    if (callerId != null && CALLER_ID.matcher(callerId).matches()) {
      id = callerId;
    } else if (traceparent != null) {
      id = traceparent.substring(3, 35);
    } else {
      id = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }
    ctx.put(ID, id);
    ctx.response().putHeader("X-Request-Id", id);
    if (traceparent != null) {
      ctx.response().putHeader("traceparent", traceparent);
    }
    ctx.next();
  }

  /** The header if it is a version-00 traceparent with non-zero trace and parent ids, else null. */
  static String validTraceparent(String header) {
    if (header == null) {
      return null;
    }
    java.util.regex.Matcher m = TRACEPARENT.matcher(header.trim());
    if (!m.matches() || m.group(1).chars().allMatch(c -> c == '0') || m.group(2).chars().allMatch(c -> c == '0')) {
      return null;
    }
    return header.trim();
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
