package io.licensor.cli;

import io.licensor.Main;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the {@code licensor} command line in this JVM, as a shell would run it: arguments, an
 * environment of its own, and its exit code, standard output and error (and the bytes
 * {@code open} writes) captured.
 */
public final class Cli {

  public record Result(int exitCode, String out, String err, byte[] content) {
    public int exit() {
      return exitCode;
    }

    String outLine() {
      return out.strip();
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- out\n" + out + "\n--- err\n" + err;
    }
  }

  private final Map<String, String> env = new HashMap<>();

  public Cli with(String name, String value) {
    if (value == null) {
      env.remove(name);
    } else {
      env.put(name, value);
    }
    return this;
  }

  /** Runs with an empty environment. */
  public static Result run(List<String> args) {
    return new Cli().run(args.toArray(String[]::new));
  }

  public synchronized Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    Env.use(env, content);
    try {
      CommandLine cli = Main.commandLine();
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      int code = cli.execute(args);
      return new Result(code, out.toString(), err.toString(), content.toByteArray());
    } finally {
      Env.use(null, null);
    }
  }
}
