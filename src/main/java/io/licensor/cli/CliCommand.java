package io.licensor.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
 *
 * <p>Every command takes {@code --output json}: its result is then one JSON object on standard
 * output, times in it as ISO-8601 ({@link CliTimes}), and a failure one JSON object on standard
 * error ({@code {"error": ..., "exitCode": n, "problem": slug}}), with the same exit codes.
 */
public abstract class CliCommand implements Callable<Integer> {

  /** How a command prints its result. */
  public enum Output { text, json }

  @Spec
  CommandSpec spec;

  @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
      description = "text (default) or json: the result as one JSON object on standard output (times ISO-8601), "
          + "a failure as one on standard error")
  Output output = Output.text;

  protected abstract int execute() throws Exception;

  @Override
  public final Integer call() throws Exception {
    try {
      return execute();
    } catch (CliException e) {
      if (json()) {
        JsonObject error = new JsonObject().put("error", e.getMessage()).put("exitCode", e.exitCode());
        if (e.slug() != null) {
          error.put("problem", e.slug());
        }
        err().println(error.encode());
      } else {
        err().println("licensor: " + e.getMessage());
      }
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

  /** Whether the caller asked for JSON ({@code --output json}). */
  protected boolean json() {
    return output == Output.json;
  }

  /** A result that is JSON either way (its times ISO-8601 with --output json). */
  protected void printJson(JsonObject json) {
    out().println((json() ? CliTimes.iso(json) : json).encodePrettily());
  }

  /** The command's result: {@code json} with --output json (times ISO-8601), else {@code text} for people. */
  protected void result(JsonObject json, String text) {
    if (json()) {
      out().println(CliTimes.iso(json).encodePrettily());
    } else {
      out().println(text);
    }
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
