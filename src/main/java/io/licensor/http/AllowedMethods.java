package io.licensor.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The {@code Allow} header of a 405 (RFC 9110 §15.5.6): the methods of the routes whose path matches
 * the request's. Vert.x sends it only when no 405 handler is set; ours sends a problem body, so it
 * says the methods itself, read from the router's routes.
 */
final class AllowedMethods {

  private final Router router;
  private final Map<String, Pattern> patterns = new ConcurrentHashMap<>();

  AllowedMethods(Router router) {
    this.router = router;
  }

  /** The methods routed for this path, comma-separated in name order, or null. */
  String forPath(String path) {
    Set<String> names = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      String template = route.getPath();
      if (template == null || route.methods() == null || route.methods().isEmpty()) {
        continue;
      }
      if (patterns.computeIfAbsent(template, AllowedMethods::pattern).matcher(path).matches()) {
        for (HttpMethod m : route.methods()) {
          names.add(m.name());
        }
      }
    }
    return names.isEmpty() ? null : String.join(", ", names);
  }

  /** A Vert.x path template ({@code /v1/tenants/:tid/keys/:v}) as a regular expression of the whole path. */
  private static Pattern pattern(String template) {
    StringBuilder regex = new StringBuilder();
    for (String part : template.split("(?=/)")) {
      if (part.startsWith("/:")) {
        regex.append("/[^/]+");
      } else {
        regex.append(Pattern.quote(part));
      }
    }
    return Pattern.compile(regex + "/?");
  }
}
