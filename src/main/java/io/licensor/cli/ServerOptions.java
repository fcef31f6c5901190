package io.licensor.cli;

import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the server is and who is asking: shared by every command that talks to a server. */
public final class ServerOptions {

  static final String DEFAULT_SERVER = "https://127.0.0.1:8443";

  @Option(names = "--server", paramLabel = "URL",
      description = "the licensor server (default: $LICENSOR_URL, else " + DEFAULT_SERVER + ")")
  String server;

  @Option(names = "--token", paramLabel = "JWT",
      description = "bearer token (default: $LICENSOR_TOKEN); prefer --token-file, which keeps it out of the shell history")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "read the bearer token from FILE "
      + "(without --token, --token-file and $LICENSOR_TOKEN: the token licensor login kept, if any)")
  Path tokenFile;

  @Option(names = "--cacert", paramLabel = "FILE", description = "also trust the PEM certificate(s) in FILE for "
      + "HTTPS (default: $LICENSOR_CA_FILE, else, for a server on this machine's loopback only, a local node's "
      + "self-signed $LICENSOR_DATA_DIR/tls/cert.pem if present)")
  Path caFile;

  public ApiClient api() {
    return new ApiClient(CliTrust.client(caFile, serverUri()), serverUri(), token());
  }

  /** The client library (protect, open) for this server, token and trust. */
  public io.licensor.client.LicensorClient client() {
    String bearer = token();
    return io.licensor.client.LicensorClient.builder(serverUri()).httpClient(CliTrust.client(caFile, serverUri()))
        .token(bearer).build();
  }

  /** An API client without a token (public endpoints such as jwks.json). */
  public ApiClient anonymous() {
    return new ApiClient(CliTrust.client(caFile, serverUri()), serverUri(), null);
  }

  URI serverUri() {
    String url = server != null ? server : Env.get("LICENSOR_URL");
    if (url == null) {
      url = DEFAULT_SERVER;
    }
    try {
      URI uri = URI.create(url.endsWith("/") ? url : url + "/");
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw new CliException(CliException.USAGE, "--server " + url + " is not an http(s) URL");
    }
  }

  private static String nonEmpty(String token, String why) {
    if (token.isEmpty()) {
      throw new CliException(CliException.USAGE, why);
    }
    return token;
  }

  String token() {
    if (token != null && tokenFile != null) {
      throw new CliException(CliException.USAGE, "give --token or --token-file, not both");
    }
    if (tokenFile != null) {
      return nonEmpty(CliCommand.readText(tokenFile, "--token-file").trim(), "--token-file " + tokenFile + " is empty");
    }
    if (token != null) {
      // --token "$VAR" with VAR unset or empty (a dev-token or login that failed): not a token to send
      return nonEmpty(token.trim(), "--token is empty (was the command that should have made it refused?)");
    }
    String t = Env.get("LICENSOR_TOKEN");
    if (t == null) {
      Path stored = StoredToken.defaultPath();
      if (stored != null && Files.exists(stored)) {
        return StoredToken.read(stored);
      }
      throw new CliException(CliException.USAGE, "no token: give --token-file FILE, --token JWT, set LICENSOR_TOKEN, "
          + "or run licensor login (in dev mode: export LICENSOR_TOKEN=$(licensor dev-token))");
    }
    return t.trim();
  }
}
