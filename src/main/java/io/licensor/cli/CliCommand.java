package io.licensor.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * A command of the {@code licensor} command line: prints through picocli's writers (so tests and
 * callers can capture them) and turns a {@link CliException} into {@code licensor: message} on
 * standard error and its exit code.
 */
public abstract class CliCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  protected abstract int execute() throws Exception;

  @Override
  public final Integer call() throws Exception {
    try {
      return execute();
    } catch (CliException e) {
      err().println("licensor: " + e.getMessage());
      err().flush();
      return e.exitCode();
    } finally {
      out().flush();
      err().flush();
    }
  }

  protected PrintWriter out() {
    return spec.commandLine().getOut();
  }

  protected PrintWriter err() {
    return spec.commandLine().getErr();
  }

  protected void printJson(JsonObject json) {
    out().println(json.encodePrettily());
  }

  /** A progress line on standard error (standard output stays parseable). */
  protected void progress(String line) {
    err().println(line);
    err().flush();
  }

  /** A local input file's text; one that cannot be read is a usage error naming the option. */
  static String readText(Path file, String option) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliException(CliException.USAGE, "cannot read " + option + " " + file + ": " + e.getMessage());
    }
  }

  /** A local input file holding a JSON object (see {@link #readText}). */
  static JsonObject readJson(Path file, String option) {
    String text = readText(file, option);
    try {
      return new JsonObject(text);
    } catch (RuntimeException e) {
      throw new CliException(CliException.USAGE, option + " " + file + " is not a JSON object");
    }
  }

  protected static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(CliException.REFUSED, "interrupted");
    }
  }
}
