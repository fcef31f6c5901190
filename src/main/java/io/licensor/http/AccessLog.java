package io.licensor.http;

import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log ({@code http.accessLog}, off by default): one INFO line per request on logger
 * {@code licensor.access} once its answer is sent — request id, method, path (no query string),
 * status, bytes sent, milliseconds. Never a header or a body: no token reaches the log. With
 * {@code log.format} json the fields are also key-value pairs of the record.
 */
final class AccessLog {

  private static final Logger LOG = LoggerFactory.getLogger("licensor.access");

  private AccessLog() {
  }

  static void handle(RoutingContext ctx) {
    long started = System.nanoTime();
    ctx.addEndHandler(done -> {
      long ms = (System.nanoTime() - started) / 1_000_000;
      int status = ctx.response().getStatusCode();
      String method = ctx.request().method().name();
      String path = printable(ctx.request().path());
      long bytes = ctx.response().bytesWritten();
      LOG.atInfo().addKeyValue("requestId", Requests.id(ctx)).addKeyValue("method", method).addKeyValue("path", path)
          .addKeyValue("status", status).addKeyValue("bytes", bytes).addKeyValue("ms", ms)
          .log("request {} {} {} {} {} bytes {} ms", Requests.id(ctx), method, path, status, bytes, ms);
    });
    ctx.next();
  }

  /** The path as logged: control characters and anything past 512 characters left out (no forged lines). */
  private static String printable(String path) {
    if (path == null) {
      return "-";
    }
    StringBuilder b = new StringBuilder(Math.min(path.length(), 512));
    for (int i = 0; i < path.length() && b.length() < 512; i++) {
      char c = path.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return b.toString();
  }
}
