package io.licensor.cli;

import java.io.OutputStream;
import java.util.Map;

/**
 * What the command line reads from its surroundings: environment variables and the byte stream
 * {@code open} writes content to. The process's own by default; tests run commands in-process with
 * their own (a JVM cannot change its environment).
 */
public final class Env {

  private static volatile Map<String, String> variables;
  private static volatile OutputStream content;

  private Env() {
  }

  public static Map<String, String> all() {
    Map<String, String> v = variables;
    return v != null ? v : System.getenv();
  }

  public static String get(String name) {
    String value = all().get(name);
    return value == null || value.isBlank() ? null : value;
  }

  /** Where {@code licensor open} writes the decrypted content when no --out is given. */
  public static OutputStream contentOut() {
    OutputStream c = content;
    return c != null ? c : System.out;
  }

  /** For tests: the environment and content stream of the commands run from now on (null: the process's). */
  public static void use(Map<String, String> environment, OutputStream contentOut) {
    variables = environment == null ? null : Map.copyOf(environment);
    content = contentOut;
  }
}
