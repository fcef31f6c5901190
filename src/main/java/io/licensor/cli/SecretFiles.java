package io.licensor.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * Files the command line writes that hold secrets or what protects them (an exported private key,
 * a backup package, a decrypted document, a transfer file, a token): owner-only (0600) from the
 * moment they exist — written to a new 0600 file beside the target, then renamed over it, so no
 * other user can read them even for a moment, and no reader sees half of one — and an existing file
 * is not replaced unless the user says so ({@code --force}).
 */
public final class SecretFiles {

  private SecretFiles() {
  }

  /** Puts {@code temp} at {@code file} unless a file is there: a hard link where the file system has them, else a move. */
  private static void linkOrMove(Path temp, Path file) throws IOException {
    try {
      Files.createLink(file, temp);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw e;
    } catch (IOException | UnsupportedOperationException e) {
      Files.move(temp, file);
    }
  }

  public static void write(Path file, String text, boolean force, String option) {
    write(file, text.getBytes(StandardCharsets.UTF_8), force, option);
  }

  /**
   * A usage error naming {@code option} if {@code file} exists and {@code force} is not given: what a
   * command checks before its work (nothing asked of the server for a file that will not be written).
   */
  public static void refuseExisting(Path file, boolean force, String option) {
    if (!force && Files.exists(file)) {
      throw exists(file, option);
    }
  }

  private static CliException exists(Path file, String option) {
    return new CliException(CliException.USAGE, option + " " + file + " exists: refusing to overwrite it (add --force to "
        + "replace it)");
  }

  /** Writes {@code content} to {@code file}, 0600; an existing file is a usage error naming {@code option}, unless {@code force}. */
  public static void write(Path file, byte[] content, boolean force, String option) {
    refuseExisting(file, force, option);
    Path dir = file.toAbsolutePath().getParent();
    Path temp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.write(temp, content);
        try {
          if (force) {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          } else {
            // no replace: a file made meanwhile is not overwritten either
            linkOrMove(temp, file);
          }
        } catch (AtomicMoveNotSupportedException | UnsupportedOperationException e) {
          Files.move(temp, file, force ? new StandardCopyOption[] {StandardCopyOption.REPLACE_EXISTING} : new StandardCopyOption[0]);
        }
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw exists(file, option);
    } catch (IOException | UnsupportedOperationException e) {
      throw new CliException(CliException.REFUSED, "cannot write " + file + ": " + e.getMessage());
    }
  }
}
