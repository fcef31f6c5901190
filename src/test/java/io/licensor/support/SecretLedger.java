package io.licensor.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Every secret the tests hand to licensor — bearer tokens, identity providers' private keys,
 * content keys, passwords, passphrases, PINs — written down (base64, one per line, under
 * target/test-secrets/) so that {@code SecretScanTest}, at the end of the run, can look for each
 * in every log the run produced.
 */
public final class SecretLedger {

  public enum Kind { TOKEN, PRIVATE_KEY, CONTENT_KEY, PASSWORD }

  public record Secret(Kind kind, byte[] value) {
  }

  static final Path DIR = Path.of("target", "test-secrets");
  private static final Path FILE = DIR.resolve("secrets-" + ProcessHandle.current().pid() + ".ledger");

  private SecretLedger() {
  }

  public static void token(String token) {
    record(Kind.TOKEN, token.getBytes(StandardCharsets.US_ASCII));
  }

  public static void privateKey(byte[] value) {
    record(Kind.PRIVATE_KEY, value);
  }

  public static void contentKey(byte[] value) {
    record(Kind.CONTENT_KEY, value);
  }

  public static void password(String value) {
    if (value != null && !value.isEmpty()) {
      record(Kind.PASSWORD, value.getBytes(StandardCharsets.UTF_8));
    }
  }

  public static synchronized void record(Kind kind, byte[] value) {
    try {
      Files.createDirectories(DIR);
      Files.writeString(FILE, kind + "\t" + Base64.getEncoder().encodeToString(value) + "\n", StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Everything every test JVM of this build wrote down. */
  public static List<Secret> all() throws IOException {
    List<Secret> out = new ArrayList<>();
    if (!Files.isDirectory(DIR)) {
      return out;
    }
    try (var files = Files.list(DIR)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".ledger")).toList()) {
        for (String line : Files.readAllLines(f)) {
          String[] parts = line.split("\t");
          if (parts.length == 2) {
            out.add(new Secret(Kind.valueOf(parts[0]), Base64.getDecoder().decode(parts[1])));
          }
        }
      }
    }
    return out;
  }
}
