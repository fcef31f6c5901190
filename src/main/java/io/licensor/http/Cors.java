package io.licensor.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.handler.CorsHandler;

import java.util.List;
import java.util.Set;

/**
 * Cross-origin calls from browser apps on the configured origins only ({@code http.cors.allowedOrigins};
 * off by default, when browsers refuse every cross-origin call). Bearer tokens, not cookies, so no
 * credentials mode; the headers a client reads (ETag, Retry-After, Licensor-*, request ids) exposed.
 */
final class Cors {

  private Cors() {
  }

  static CorsHandler handler(List<String> origins) {
    return CorsHandler.create().addOrigins(origins)
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE))
        .allowedHeaders(Set.of("Authorization", "Content-Type", "If-Match", "X-Request-Id", "traceparent"))
        .exposedHeaders(Set.of("ETag", "Retry-After", "Licensor-Current-Kid", "Licensor-Propagation", "X-Request-Id",
            "traceparent", "WWW-Authenticate"))
        .maxAgeSeconds(600);
  }
}
