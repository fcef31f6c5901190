package io.licensor.support;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The OpenAPI document (src/main/resources/openapi.yaml) as a check on the node's real responses:
 * every response a test gets through {@link Http} from a licensor node is validated against the
 * operation it answers (status declared, declared headers present and well-formed, body of a declared
 * media type matching its schema) by vertx-openapi's ResponseValidator. A request for a path the
 * document does not have must have been answered 404, and one with a method the path does not have
 * 405 with Allow.
 *
 * <p>The document is validated strictly: an object schema that names its properties and says nothing
 * of others gets {@code additionalProperties: false}, so a field the node sends and the document
 * does not name is a violation. (Header names are lower-cased, as HTTP compares them without case and
 * the validator looks them up lower-cased.)
 *
 * <p>A violation fails the request's test ({@code -Dlicensor.contract=fail}, the default), or is
 * appended to target/contract-violations.txt ({@code record}) to survey a whole run.
 */
public final class Contract {

  static final Path DOCUMENT = Path.of("src", "main", "resources", "openapi.yaml");
  private static final String MODE = System.getProperty("licensor.contract", "fail");
  private static final Object LOCK = new Object();
  private static volatile Contract instance;

  private final OpenAPIContract contract;
  private final ResponseValidator validator;

  private Contract(Vertx vertx, OpenAPIContract contract) {
    this.contract = contract;
    this.validator = ResponseValidator.create(vertx, contract);
  }

  /** The document, loaded once per test JVM (its own small Vert.x, apart from any node's). */
  public static Contract get() {
    Contract c = instance;
    if (c == null) {
      synchronized (LOCK) {
        if (instance == null) {
          Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2));
          OpenAPIContract loaded = await(OpenAPIContract.from(vertx, strict(document())).toCompletionStage()
              .toCompletableFuture());
          instance = new Contract(vertx, loaded);
        }
        c = instance;
      }
    }
    return c;
  }

  /** The document as JSON, as written. */
  public static JsonObject document() {
    try {
      Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
      Map<String, Object> map = yaml.load(Files.readString(DOCUMENT, StandardCharsets.UTF_8));
      return new JsonObject(map);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + DOCUMENT, e);
    }
  }

  public OpenAPIContract contract() {
    return contract;
  }

  /** The violation of the document in this exchange, or null if it keeps to it. */
  public String violation(String method, URI uri, int status, HttpHeaders headers, String body) {
    String path = uri.getRawPath();
    HttpMethod m = HttpMethod.valueOf(method);
    Operation op = contract.findOperation(path, m);
    if (op == null) {
      if (m == HttpMethod.OPTIONS || m == HttpMethod.HEAD) {
        return null;
      }
      if (contract.findPath(path) != null) {
        // 405 with Allow; or the caller refused first (401, 403: the export path audits any method as an attempt)
        return status == 405 && headers.firstValue("Allow").isPresent() || status == 401 || status == 403 ? null
            : method + " " + path + ": the document has the path but not the method, so 405 with Allow; got " + status;
      }
      return status == 404 || path.startsWith("/web/") || path.equals("/openapi.yaml") ? null
          : method + " " + path + ": not in the document, yet answered " + status;
    }
    Map<String, String> lower = new HashMap<>();
    headers.map().forEach((name, values) -> lower.put(name.toLowerCase(Locale.ROOT), values.get(0)));
    // the validator reads a header's text as JSON when it can ("r1" becomes r1): a header the
    // document types as a string is handed over as a JSON string, so it is checked as sent
    io.vertx.openapi.contract.Response declared = op.getResponse(status);
    if (declared != null) {
      for (io.vertx.openapi.contract.Parameter h : declared.getHeaders()) {
        String value = lower.get(h.getName());
        if (value != null && "string".equals(String.valueOf(h.getSchemaType()).toLowerCase(Locale.ROOT))) {
          lower.put(h.getName(), io.vertx.core.json.Json.encode(value));
        }
      }
    }
    String contentType = checkedAs(headers.firstValue("Content-Type").orElse(null));
    ValidatableResponse response = body == null || body.isEmpty() || contentType == null
        ? ValidatableResponse.create(status, lower)
        : ValidatableResponse.create(status, lower, Buffer.buffer(body), contentType);
    try {
      await(validator.validate(response, op.getOperationId()).toCompletionStage().toCompletableFuture());
      return null;
    } catch (IllegalStateException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      return method + " " + path + " (" + op.getOperationId() + ") answered " + status + ": " + cause.getMessage()
          + details(cause) + (body == null || body.isEmpty() ? "" : "; body " + abbreviate(body));
    }
  }

  /** Checks an exchange: throws, or records, a violation (see the class comment). */
  public static void check(String method, URI uri, int status, HttpHeaders headers, String body) {
    if ("off".equals(MODE)) {
      return;
    }
    String v = get().violation(method, uri, status, headers, body);
    if (v == null) {
      return;
    }
    if ("record".equals(MODE)) {
      try {
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "contract-violations.txt"), v + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return;
    }
    throw new AssertionError("the response does not keep to src/main/resources/openapi.yaml: " + v);
  }

  private static String details(Throwable t) {
    try {
      Object output = t.getClass().getMethod("getOutputUnit").invoke(t);
      return output == null ? "" : " " + output;
    } catch (ReflectiveOperationException | RuntimeException ignored) {
      return "";
    }
  }

  private static String abbreviate(String body) {
    return body.length() <= 600 ? body : body.substring(0, 600) + "...";
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> f) {
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The document made strict: named properties only, in every object schema not part of a
   * composition; response header names lower-cased.
   */
  static JsonObject strict(JsonObject doc) {
    JsonObject copy = doc.copy();
    // checked as OpenAPI 3.1 (JSON Schema 2020-12): 3.0's nullable, which the validator does not apply,
    // becomes a type that admits null (closeObjects); nothing else the document uses differs
    copy.put("openapi", "3.1.0");
    closeObjects(copy, false);
    lowerHeaderNames(copy, "");
    renameMediaTypes(copy);
    return copy;
  }

  /**
   * vertx-openapi 5.0 takes JSON media types only as application/json or application/vnd.*+json:
   * application/problem+json, application/jwk-set+json and application/merge-patch+json are
   * checked as application/vnd.problem+json and so on (still each its own), application/yaml as
   * application/octet-stream, both in the document and in the response checked against it.
   */
  static String checkedAs(String mediaType) {
    if (mediaType == null) {
      return null;
    }
    java.util.regex.Matcher json = java.util.regex.Pattern.compile("application/(?!vnd\\.)([\\w.-]+)\\+json").matcher(mediaType);
    if (json.matches()) {
      return "application/vnd." + json.group(1) + "+json";
    }
    return mediaType.equals("application/yaml") ? "application/octet-stream" : mediaType;
  }

  private static void renameMediaTypes(Object node) {
    if (node instanceof JsonObject o) {
      for (String key : List.copyOf(o.fieldNames())) {
        Object value = o.getValue(key);
        if (key.equals("content") && value instanceof JsonObject content) {
          JsonObject renamed = new JsonObject();
          content.forEach(e -> renamed.put(checkedAs(e.getKey()), e.getValue()));
          o.put(key, renamed);
          renamed.forEach(e -> renameMediaTypes(e.getValue()));
        } else {
          renameMediaTypes(value);
        }
      }
    } else if (node instanceof JsonArray a) {
      a.forEach(Contract::renameMediaTypes);
    }
  }

  private static void closeObjects(Object node, boolean inComposition) {
    if (node instanceof JsonObject o) {
      // OpenAPI 3.0's nullable as 3.1 says it: a type that admits null
      if (Boolean.TRUE.equals(o.getValue("nullable")) && o.getValue("type") instanceof String type) {
        o.remove("nullable");
        o.put("type", new JsonArray().add(type).add("null"));
        // (the validator's format check does not pass null through: a nullable member's format is not checked)
        o.remove("format");
      }
      if (!inComposition && o.containsKey("properties") && !o.containsKey("additionalProperties")
          && o.getValue("properties") instanceof JsonObject) {
        o.put("additionalProperties", false);
      }
      for (String key : List.copyOf(o.fieldNames())) {
        Object value = o.getValue(key);
        boolean composition = key.equals("allOf") || key.equals("anyOf") || key.equals("oneOf");
        if (key.equals("properties") && value instanceof JsonObject props) {
          props.forEach(e -> closeObjects(e.getValue(), false));
        } else {
          closeObjects(value, composition);
        }
      }
    } else if (node instanceof JsonArray a) {
      a.forEach(v -> closeObjects(v, inComposition));
    }
  }

  /** The headers of responses (not the reusable components.headers, which references name as written). */
  private static void lowerHeaderNames(Object node, String parent) {
    if (node instanceof JsonObject o) {
      for (String key : List.copyOf(o.fieldNames())) {
        Object value = o.getValue(key);
        if (key.equals("headers") && !parent.equals("components") && value instanceof JsonObject h) {
          JsonObject lowered = new JsonObject();
          h.forEach(e -> lowered.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
          o.put(key, lowered);
        } else {
          lowerHeaderNames(value, key);
        }
      }
    } else if (node instanceof JsonArray a) {
      a.forEach(v -> lowerHeaderNames(v, parent));
    }
  }
}
