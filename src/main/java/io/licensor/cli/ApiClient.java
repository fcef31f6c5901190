package io.licensor.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;

/**
 * licensor's HTTP API as the command line uses it: JSON in and out, a bearer token, and problem
 * responses (RFC 9457) turned into {@link CliException}s that say what the server said. The token
 * is sent to the configured server only, never printed.
 */
public final class ApiClient {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final HttpClient http;
  private final URI base;
  private final String token;

  /** {@code http} is shared ({@link CliTrust#client}): it carries the trusted certificates. */
  ApiClient(HttpClient http, URI base, String token) {
    this.http = http;
    this.base = base;
    this.token = token;
  }

  public URI base() {
    return base;
  }

  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  public JsonObject get(String path) {
    return send("GET", path, null);
  }

  public JsonObject post(String path, JsonObject body) {
    return send("POST", path, body == null ? new JsonObject() : body);
  }

  public JsonObject put(String path, JsonObject body) {
    return send("PUT", path, body);
  }

  public JsonObject delete(String path, JsonObject body) {
    return send("DELETE", path, body);
  }

  /** A status, JSON body (null when not JSON) and the response's headers, whatever the status. */
  public record Answer(int status, JsonObject body, java.net.http.HttpHeaders headers) {
    /** The response's ETag, or null. */
    public String etag() {
      return header("ETag");
    }

    public String header(String name) {
      return headers == null ? null : headers.firstValue(name).orElse(null);
    }
  }

  /** The response's JSON body ({} for 204); a problem response becomes a {@link CliException}. */
  public JsonObject send(String method, String path, JsonObject body) {
    return checked(method, path, exchange(method, path, body, Map.of()));
  }

  /** The response (ETag included) of a request with these extra headers; a problem response becomes a {@link CliException}. */
  public Answer sendChecked(String method, String path, JsonObject body, Map<String, String> headers) {
    Answer answer = exchange(method, path, body, headers);
    checked(method, path, answer);
    return answer;
  }

  /**
   * PATCH made to the resource as read at {@code etag} (If-Match; null: {@code *}); a 412 becomes a
   * refusal saying {@code changedMeanwhile} (nothing was changed).
   */
  public Answer patchIfMatch(String path, JsonObject change, String etag, String changedMeanwhile) {
    try {
      return sendChecked("PATCH", path, change, Map.of("If-Match", etag == null ? "*" : etag));
    } catch (CliException e) {
      if ("precondition-failed".equals(e.slug())) {
        throw new CliException(CliException.REFUSED, changedMeanwhile, e.slug());
      }
      throw e;
    }
  }

  private static JsonObject checked(String method, String path, Answer answer) {
    if (answer.status() >= 400) {
      throw refusal(answer.status(), answer.body());
    }
    if (answer.body() == null) {
      throw new CliException(CliException.REFUSED, method + " " + path + " answered " + answer.status()
          + " with a body that is not a JSON object");
    }
    return answer.body();
  }

  /** One request; only a transport failure throws. */
  public Answer exchange(String method, String path, JsonObject body) {
    return exchange(method, path, body, Map.of());
  }

  private Answer exchange(String method, String path, JsonObject body, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT)
        .header("Accept", "application/json, application/problem+json");
    headers.forEach(request::header);
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      request.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body.encode(), StandardCharsets.UTF_8));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (ConnectException e) {
      throw new CliException(CliException.UNREACHABLE, "cannot reach the server at " + base
          + " (is it running? set --server or LICENSOR_URL)");
    } catch (HttpTimeoutException e) {
      throw new CliException(CliException.UNREACHABLE, "the server at " + base + " did not answer in time");
    } catch (SSLHandshakeException e) {
      throw new CliException(CliException.UNREACHABLE, "the server at " + base + " did not prove who it is over TLS "
          + "(its certificate is not trusted, or is not for this host name): give --cacert FILE or set LICENSOR_CA_FILE "
          + "to its certificate (a node's self-signed one is DATA_DIR/tls/cert.pem; compare the SHA-256 fingerprint it logged)");
    } catch (javax.net.ssl.SSLException e) {
      // https:// to a port that speaks plain HTTP
      throw new CliException(CliException.UNREACHABLE, "the server at " + base + " did not answer TLS: is it plain HTTP? "
          + "(try --server " + base.toString().replaceFirst("^https:", "http:") + ")");
    } catch (IOException e) {
      if ("http".equals(base.getScheme()) && e.getMessage() != null
          && (e.getMessage().contains("header parser received no bytes") || e.getMessage().contains("EOF reached"))) {
        // http:// to a port that speaks TLS: the server drops a request that is not a TLS handshake
        throw new CliException(CliException.UNREACHABLE, "the server at " + base + " did not answer plain HTTP: it probably "
            + "serves HTTPS (try --server " + base.toString().replaceFirst("^http:", "https:") + ")");
      }
      throw new CliException(CliException.UNREACHABLE, "talking to " + base + " failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(CliException.REFUSED, "interrupted");
    }
    String text = response.body();
    JsonObject json;
    try {
      json = text == null || text.isBlank() ? new JsonObject() : new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      json = null;
    }
    return new Answer(response.statusCode(), json, response.headers());
  }

  private static CliException refusal(int status, JsonObject problem) {
    if (problem == null || problem.getString("type") == null) {
      return new CliException(CliException.REFUSED, "the server answered " + status);
    }
    String type = problem.getString("type");
    String slug = type.startsWith("urn:licensor:problem:") ? type.substring("urn:licensor:problem:".length()) : type;
    StringBuilder message = new StringBuilder().append(problem.getString("title", "refused")).append(" (")
        .append(slug).append(", ").append(status).append(")");
    if (problem.getString("detail") != null) {
      message.append(": ").append(problem.getString("detail"));
    }
    if (problem.getString("requestId") != null) {
      message.append(" [request ").append(problem.getString("requestId")).append("]");
    }
    String hint = hint(slug);
    if (hint != null) {
      message.append("\n  ").append(hint);
    }
    return new CliException(exitCode(status), message.toString(), slug);
  }

  /** 2 for input the server refused as bad (400, 413, 415: fix the command), else 1. */
  static int exitCode(int status) {
    return status == 400 || status == 413 || status == 415 ? CliException.USAGE : CliException.REFUSED;
  }

  /** The client library's refusal as the command line says it (title, slug, status, detail, request id, what to do next). */
  static CliException refusal(io.licensor.client.ProblemException problem) {
    String hint = hint(problem.slug());
    return new CliException(exitCode(problem.status()), problem.getMessage() + (hint == null ? "" : "\n  " + hint), problem.slug());
  }

  /** What to do next, for the refusals a user can act on. */
  private static String hint(String slug) {
    return switch (slug) {
      case "unauthenticated" -> "check the token (--token, --token-file or LICENSOR_TOKEN): it may have expired, "
          + "or come from an issuer this tenant does not trust";
      case "forbidden" -> "the role it needs is named above: ask for a token that carries it";
      case "subscription-cancelled" -> "the tenant's subscription is cancelled: nothing can be opened or protected "
          + "until an operator reactivates it (licensor tenant reactivate)";
      case "key-destroyed" -> "the key version that protected this content was destroyed; the content cannot be "
          + "opened by anyone again";
      case "access-denied" -> "the content's policy grants this user nothing; ask its publisher for access";
      case "content-revoked" -> "the document was revoked by its publisher or the tenant's admins: no one can open it "
          + "unless they un-revoke it";
      case "hsm-busy" -> "the server is at capacity; try again in a few seconds";
      case "tenant-not-found" -> "check the tenant id (licensor tenant show ID)";
      default -> null;
    };
  }
}
