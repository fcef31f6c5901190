package io.licensor.db;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * The embedded PostgreSQL's two passwords, made at random on the first start and kept in
 * {@code <dataDir>/postgres.credentials} (0600; a file that others may read is refused): the
 * superuser's, used only to set up licensor's role, and that role's, which the node connects with.
 */
record EmbeddedCredentials(String superuserPassword, String password) {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  static Path pathIn(Path dataDir) {
    return dataDir.resolve("postgres.credentials");
  }

  static EmbeddedCredentials loadOrCreate(Path dataDir) throws IOException {
    Path file = pathIn(dataDir);
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
      if (!OWNER_ONLY.containsAll(permissions) || Files.isSymbolicLink(file)) {
        throw new IOException(file + " may be read by others (" + PosixFilePermissions.toString(permissions)
            + "); it holds the embedded database's passwords: make it 0600 (chmod 600) and restart");
      }
      JsonObject json = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
      return new EmbeddedCredentials(json.getString("superuserPassword"), json.getString("password"));
    }
    EmbeddedCredentials made = new EmbeddedCredentials(randomPassword(), randomPassword());
    Path tmp = Files.createTempFile(dataDir, ".postgres.credentials", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    try {
      Files.writeString(tmp, new JsonObject().put("superuserPassword", made.superuserPassword)
          .put("password", made.password).encodePrettily(), StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    return made;
  }

  /** The superuser's password in a file of its own (0600) for initdb's {@code --pwfile}; the caller deletes it. */
  Path writeSuperuserPasswordFile(Path dataDir) throws IOException {
    Path file = Files.createTempFile(dataDir, ".initdb", ".pw", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    Files.writeString(file, superuserPassword + "\n", StandardCharsets.UTF_8);
    return file;
  }

  private static String randomPassword() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public String toString() {
    return "EmbeddedCredentials[passwords hidden]";
  }
}
