package io.licensor.client;

import com.nimbusds.jose.util.JSONObjectUtils;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.function.Supplier;

/**
 * licensor's HTTP API as this library uses it: JSON in and out, the caller's bearer token (never
 * logged, sent only to the configured server), problem responses turned into typed
 * {@link ProblemException}s, and {@code Retry-After} honoured on 429 and 503.
 */
final class Transport {

  /** An answer that is not a problem: status, JSON body ({} when empty), headers. */
  record Answer(int status, Map<String, Object> body, HttpHeaders headers) {
    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  private final HttpClient http;
  private final URI base;
  private final Supplier<String> token;
  private final Duration timeout;
  private final int maxRetries;
  private final Duration maxRetryWait;
  private final Sleeper sleeper;

  /** Waits between retries (a test may count them). */
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  Transport(HttpClient http, URI base, Supplier<String> token, Duration timeout, int maxRetries, Duration maxRetryWait,
      Sleeper sleeper) {
    this.http = http;
    this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
    this.token = token;
    this.timeout = timeout;
    this.maxRetries = maxRetries;
    this.maxRetryWait = maxRetryWait;
    this.sleeper = sleeper;
  }

  URI base() {
    return base;
  }

  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String tenantPath(String tenant) {
    return "v1/tenants/" + segment(tenant);
  }

  /** A request with the caller's token ({@code authenticated}) or none; retried as {@code Retry-After} says. */
  Answer send(String method, String path, Map<String, Object> body, boolean authenticated) {
    for (int attempt = 0; ; attempt++) {
      HttpResponse<String> response = exchange(method, path, body, authenticated);
      int status = response.statusCode();
      if (status < 400) {
        return new Answer(status, json(response.body(), method, path, status), response.headers());
      }
      Duration retryAfter = retryAfter(response.headers().firstValue("Retry-After").orElse(null));
      if ((status == 429 || status == 503) && retryAfter != null && attempt < maxRetries
          && retryAfter.compareTo(maxRetryWait) <= 0) {
        try {
          sleeper.sleep(retryAfter);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw problem(status, response, retryAfter);
        }
        continue;
      }
      throw problem(status, response, retryAfter);
    }
  }

  private HttpResponse<String> exchange(String method, String path, Map<String, Object> body, boolean authenticated) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
        .header("Accept", "application/json, application/problem+json");
    if (authenticated) {
      String bearer = token.get();
      if (bearer == null || bearer.isBlank()) {
        throw new IllegalStateException("no token: give LicensorClient.builder().token(...)");
      }
      request.header("Authorization", "Bearer " + bearer);
    }
    if (body != null) {
      request.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(JSONObjectUtils.toJSONString(body), StandardCharsets.UTF_8));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (java.net.ConnectException e) {
      throw new LicensorException.UnreachableException("cannot reach the server at " + base, e);
    } catch (java.net.http.HttpTimeoutException e) {
      throw new LicensorException.UnreachableException("the server at " + base + " did not answer in time", e);
    } catch (javax.net.ssl.SSLHandshakeException e) {
      throw new LicensorException.UnreachableException("the server at " + base + " did not prove who it is over TLS "
          + "(its certificate is not trusted by this client's HttpClient, or is not for this host name)", e);
    } catch (IOException e) {
      throw new LicensorException.UnreachableException("talking to " + base + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LicensorException.UnreachableException("interrupted while talking to " + base, e);
    }
  }

  private static Map<String, Object> json(String text, String method, String path, int status) {
    if (text == null || text.isBlank()) {
      return Map.of();
    }
    try {
      return JSONObjectUtils.parse(text);
    } catch (ParseException e) {
      throw new LicensorException(method + " /" + path + " answered " + status + " with a body that is not a JSON object");
    }
  }

  private static ProblemException problem(int status, HttpResponse<String> response, Duration retryAfter) {
    Map<String, Object> body;
    try {
      body = response.body() == null || response.body().isBlank() ? Map.of() : JSONObjectUtils.parse(response.body());
    } catch (ParseException e) {
      body = Map.of();
    }
    String type = body.get("type") instanceof String t ? t : null;
    String slug = type == null ? "http-" + status
        : type.startsWith("urn:licensor:problem:") ? type.substring("urn:licensor:problem:".length()) : type;
    String title = body.get("title") instanceof String t ? t : "the server answered " + status;
    String detail = body.get("detail") instanceof String d ? d : null;
    String requestId = body.get("requestId") instanceof String r ? r : null;
    return ProblemException.of(new ProblemException.Fields(status, slug, title, detail, requestId, retryAfter));
  }

  /** {@code Retry-After}: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
  static Duration retryAfter(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    if (v.chars().allMatch(Character::isDigit) && v.length() <= 9) {
      return Duration.ofSeconds(Long.parseLong(v));
    }
    try {
      Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
      return d.isNegative() ? Duration.ZERO : d;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** {@code max-age} of a {@code Cache-Control} header, or 0. */
  static long maxAge(String cacheControl) {
    if (cacheControl == null) {
      return 0;
    }
    for (String part : cacheControl.split(",")) {
      String p = part.trim();
      if (p.startsWith("max-age=")) {
        try {
          return Math.max(0, Long.parseLong(p.substring("max-age=".length()).trim()));
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }
}
