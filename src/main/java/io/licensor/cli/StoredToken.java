package io.licensor.cli;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;

/**
 * The token {@code licensor login} keeps for later commands: one file holding the bearer token
 * alone (so {@code --token-file} reads it too), at {@code $LICENSOR_TOKEN_FILE}, else
 * {@code $XDG_CONFIG_HOME/licensor/token}, else {@code $HOME/.config/licensor/token}. Written
 * owner-only (0600, in a 0700 directory it makes), by a rename, so no reader ever sees half a
 * token and no other user can read it even for a moment.
 */
final class StoredToken {

  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

  private StoredToken() {
  }

  /** Where the token is kept, or null if the environment names no place (no HOME). */
  static Path defaultPath() {
    String file = Env.get("LICENSOR_TOKEN_FILE");
    if (file != null) {
      return Path.of(file);
    }
    String config = Env.get("XDG_CONFIG_HOME");
    if (config != null) {
      return Path.of(config, "licensor", "token");
    }
    String home = Env.get("HOME");
    return home == null ? null : Path.of(home, ".config", "licensor", "token");
  }

  /** Writes {@code token} to {@code file}, owner-only, replacing what was there. */
  static void write(Path file, String token) {
    Path dir = file.toAbsolutePath().getParent();
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
      }
    } catch (IOException | UnsupportedOperationException e) {
      throw new CliException(CliException.REFUSED, "cannot make " + dir + " for the token: " + e.getMessage());
    }
    SecretFiles.write(file, token + "\n", true, "--token-file");
  }

  /**
   * The token kept at {@code file}; a usage error if it has expired (read from its {@code exp},
   * unverified: the server verifies it), so the user is told to log in again rather than see a 401.
   */
  static String read(Path file) {
    String token = CliCommand.readText(file, "the stored token").trim();
    Instant exp = expiry(token);
    if (exp != null && exp.isBefore(Instant.now())) {
      throw new CliException(CliException.USAGE, "the token in " + file + " expired at " + exp
          + ": run licensor login again");
    }
    return token;
  }

  /** A JWT's {@code exp}, unverified; null if it is not a JWT or has none. */
  static Instant expiry(String token) {
    String[] parts = token.split("\\.");
    if (parts.length != 3) {
      return null;
    }
    try {
      JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
      Object exp = claims.getValue("exp");
      return exp instanceof Number n ? Instant.ofEpochSecond(n.longValue()) : null;
    } catch (RuntimeException e) {
      return null;
    }
  }
}
