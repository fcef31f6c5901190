package io.licensor.cli;

/** A command that cannot go on: its message is printed as {@code licensor: <message>}, and it exits with {@code exitCode}. */
public final class CliException extends RuntimeException {

  /** The server refused (a problem response) or the operation failed. */
  public static final int REFUSED = 1;
  /** The command line or a local input is wrong (picocli uses 2 for usage errors too). */
  public static final int USAGE = 2;
  /** The server could not be reached. */
  public static final int UNREACHABLE = 3;

  private final int exitCode;
  private final String slug;

  public CliException(int exitCode, String message) {
    this(exitCode, message, null);
  }

  public CliException(int exitCode, String message, String slug) {
    super(message);
    this.exitCode = exitCode;
    this.slug = slug;
  }

  public int exitCode() {
    return exitCode;
  }

  /** The problem slug of a server refusal ({@code subscription-cancelled}...), or null. */
  public String slug() {
    return slug;
  }
}
