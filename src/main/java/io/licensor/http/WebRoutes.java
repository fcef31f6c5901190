package io.licensor.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The web page (issue 24, item 3; off unless {@code web.enabled}): {@code /web/} protects a file in
 * the browser and opens one, on the JavaScript client (its bundle, {@code licensor-client.js}). The
 * browser makes the content key and wraps it under the tenant's public key itself (offline
 * publishing), so the key never leaves it in the clear; the page holds the user's token in memory
 * only. Static files from the jar, under a strict Content-Security-Policy: scripts and requests to
 * this origin only, no inline script, no framing.
 */
public final class WebRoutes implements Routes {

  static final String CSP = "default-src 'none'; script-src 'self'; connect-src 'self' blob:; style-src 'self'; "
      + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private record File(String contentType, Buffer bytes) {
  }

  private final Map<String, File> files = Map.of(
      "/web/", load("index.html", "text/html; charset=utf-8"),
      "/web/app.js", load("app.js", "text/javascript; charset=utf-8"),
      "/web/app.css", load("app.css", "text/css; charset=utf-8"),
      "/web/licensor-client.js", load("licensor-client.js", "text/javascript; charset=utf-8"));

  private static File load(String name, String type) {
    try (InputStream in = WebRoutes.class.getClassLoader().getResourceAsStream("web/" + name)) {
      if (in == null) {
        throw new IllegalStateException("web/" + name + " is missing from the jar");
      }
      return new File(type, Buffer.buffer(in.readAllBytes()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void mount(Router router, BodyHandler body) {
    files.forEach((path, file) -> router.get(path).handler(ctx -> ctx.response()
        .putHeader("Content-Type", file.contentType())
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cache-Control", "no-cache")
        .end(file.bytes())));
  }
}
