package io.licensor.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code licensor login}: a token for automation from the identity provider, by the OAuth 2.0
 * client credentials grant (RFC 6749 §4.4, the client authenticated with HTTP Basic, §2.3.1),
 * kept owner-only for later commands ({@link StoredToken}). The client secret is read from a file
 * or the environment, never from the command line (where {@code ps} shows it to every user).
 */
@Command(name = "login", mixinStandardHelpOptions = true,
    description = {"Get a token from your identity provider for scripts (OAuth 2.0 client credentials) and keep it "
        + "for later commands (owner-only file; they use it when no --token, --token-file or LICENSOR_TOKEN is given).",
        "The client secret comes from --client-secret-file or LICENSOR_CLIENT_SECRET, never from the command line."})
public final class Login extends CliCommand {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @ArgGroup(multiplicity = "1")
  Endpoint endpoint;

  static final class Endpoint {
    @Option(names = "--issuer", paramLabel = "URL",
        description = "the provider's issuer: its token endpoint is found by OpenID Connect discovery")
    String issuer;

    @Option(names = "--token-url", paramLabel = "URL", description = "the provider's token endpoint (https)")
    String tokenUrl;
  }

  @Option(names = "--client-id", required = true, paramLabel = "ID", description = "the OAuth client registered for this script")
  String clientId;

  @Option(names = "--client-secret-file", paramLabel = "FILE",
      description = "a file holding the client secret (default: $LICENSOR_CLIENT_SECRET)")
  Path clientSecretFile;

  @Option(names = "--scope", paramLabel = "SCOPE",
      description = "scopes to ask for (Entra ID: api://APP/.default; Okta: a custom scope of the authorization server)")
  String scope;

  @Option(names = "--audience", paramLabel = "AUD", description = "an audience to ask for (Auth0 and others that take one)")
  String audience;

  @Option(names = "--idp-cacert", paramLabel = "FILE",
      description = "also trust the PEM certificate(s) in FILE for the provider's HTTPS (besides the system's CAs)")
  Path idpCaFile;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "where to keep the token (default: $LICENSOR_TOKEN_FILE, else $XDG_CONFIG_HOME/licensor/token, "
          + "else ~/.config/licensor/token)")
  Path tokenFile;

  @Option(names = "--print", description = "print the token on standard output as well (for a pipe; not kept in shell history)")
  boolean print;

  @Override
  protected int execute() {
    Path target = tokenFile != null ? tokenFile : StoredToken.defaultPath();
    if (target == null) {
      throw new CliException(CliException.USAGE, "no place to keep the token: give --token-file FILE or set LICENSOR_TOKEN_FILE");
    }
    String secret = secret();
    HttpClient http = CliTrust.identityProvider(idpCaFile);
    URI tokenEndpoint = endpoint.tokenUrl != null ? https(endpoint.tokenUrl, "--token-url") : discover(http);

    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "client_credentials");
    if (scope != null) {
      form.put("scope", scope);
    }
    if (audience != null) {
      form.put("audience", audience);
    }
    String basic = Base64.getEncoder().encodeToString((formEncode(clientId) + ":" + formEncode(secret))
        .getBytes(StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(tokenEndpoint).timeout(TIMEOUT)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .header("Authorization", "Basic " + basic)
        .POST(HttpRequest.BodyPublishers.ofString(form.entrySet().stream()
            .map(e -> formEncode(e.getKey()) + "=" + formEncode(e.getValue())).collect(Collectors.joining("&"))))
        .build();
    HttpResponse<String> response = send(http, request, tokenEndpoint);
    JsonObject body = json(response.body());
    if (response.statusCode() != 200) {
      String error = body == null ? null : body.getString("error");
      String description = body == null ? null : body.getString("error_description");
      throw new CliException(CliException.REFUSED, "the identity provider refused the client (" + response.statusCode()
          + (error == null ? "" : ", " + printable(error)) + ")" + (description == null ? "" : ": " + printable(description))
          + (response.statusCode() == 401 || "invalid_client".equals(error) ? "\n  check --client-id and the client secret" : ""));
    }
    String token = body == null ? null : body.getString("access_token");
    if (token == null || token.isBlank() || !token.matches("[A-Za-z0-9._~+/=-]+")) {
      throw new CliException(CliException.REFUSED, "the identity provider's answer holds no usable access_token");
    }
    String type = body.getString("token_type", "Bearer");
    if (!"bearer".equalsIgnoreCase(type)) {
      throw new CliException(CliException.REFUSED, "the identity provider issued a " + printable(type)
          + " token; licensor takes bearer tokens");
    }
    if (token.split("\\.").length != 3) {
      throw new CliException(CliException.REFUSED, "the identity provider issued an opaque access token; licensor takes "
          + "signed JWTs (ask for a JWT access token: a scope or audience of an API whose tokens are JWTs)");
    }
    StoredToken.write(target, token);
    Instant expires = StoredToken.expiry(token);
    if (expires == null && body.getValue("expires_in") instanceof Number seconds) {
      expires = Instant.now().plusSeconds(seconds.longValue());
    }
    if (json()) {
      JsonObject result = new JsonObject().put("clientId", clientId).put("tokenFile", target.toString())
          .put("expiresAt", expires == null ? null : expires.toString());
      if (print) {
        result.put("token", token);
      }
      printJson(result);
      return 0;
    }
    if (print) {
      out().println(token);
    }
    progress("logged in as client " + printable(clientId) + ": token kept in " + target + " (owner only)"
        + (expires == null ? "" : ", valid until " + expires));
    return 0;
  }

  private String secret() {
    String secret = clientSecretFile != null ? readText(clientSecretFile, "--client-secret-file").strip()
        : Env.get("LICENSOR_CLIENT_SECRET");
    if (secret == null || secret.isEmpty()) {
      throw new CliException(CliException.USAGE, "no client secret: give --client-secret-file FILE or set LICENSOR_CLIENT_SECRET");
    }
    return secret;
  }

  /** The token endpoint named by the issuer's discovery document, whose issuer must be the one asked for. */
  private URI discover(HttpClient http) {
    String issuer = endpoint.issuer;
    URI base = https(issuer, "--issuer");
    URI document = URI.create((issuer.endsWith("/") ? issuer : issuer + "/") + ".well-known/openid-configuration");
    HttpResponse<String> response = send(http, HttpRequest.newBuilder(document).timeout(TIMEOUT)
        .header("Accept", "application/json").GET().build(), base);
    JsonObject config = json(response.body());
    if (response.statusCode() != 200 || config == null) {
      throw new CliException(CliException.REFUSED, "no OpenID Connect discovery document at " + document
          + " (answered " + response.statusCode() + "): check --issuer, or give --token-url");
    }
    if (!issuer.equals(config.getValue("issuer"))) {
      throw new CliException(CliException.REFUSED, "the discovery document at " + document + " is for another issuer");
    }
    if (!(config.getValue("token_endpoint") instanceof String endpointUrl)) {
      throw new CliException(CliException.REFUSED, "the discovery document at " + document + " names no token_endpoint");
    }
    return https(endpointUrl, "the discovered token_endpoint");
  }

  private static HttpResponse<String> send(HttpClient http, HttpRequest request, URI where) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (ConnectException e) {
      throw new CliException(CliException.UNREACHABLE, "cannot reach the identity provider at " + where.getHost());
    } catch (HttpTimeoutException e) {
      throw new CliException(CliException.UNREACHABLE, "the identity provider at " + where.getHost() + " did not answer in time");
    } catch (javax.net.ssl.SSLException e) {
      throw new CliException(CliException.UNREACHABLE, "the identity provider at " + where.getHost()
          + " did not prove who it is over TLS (give --idp-cacert FILE if its CA is not a system one)");
    } catch (IOException e) {
      throw new CliException(CliException.UNREACHABLE, "talking to the identity provider at " + where.getHost() + " failed: "
          + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(CliException.REFUSED, "interrupted");
    }
  }

  /** An https URL; the client secret is never sent in the clear. */
  private static URI https(String text, String what) {
    try {
      URI uri = new URI(text);
      if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getUserInfo() != null) {
        throw new CliException(CliException.USAGE, what + " must be an https:// URL (the client secret is sent to it)");
      }
      return uri;
    } catch (java.net.URISyntaxException e) {
      throw new CliException(CliException.USAGE, what + " is not a URL");
    }
  }

  private static JsonObject json(String text) {
    try {
      return text == null || text.isBlank() ? null : new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  private static String formEncode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** A provider's text, cut short and without control characters, for a message. */
  private static String printable(String text) {
    String clean = text.replaceAll("\\p{Cntrl}", "?");
    return clean.length() > 300 ? clean.substring(0, 300) + "..." : clean;
  }
}
