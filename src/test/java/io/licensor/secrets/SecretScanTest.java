package io.licensor.secrets;

import io.licensor.support.SecretLedger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs after every other test of the build (its own surefire execution, last): looks for each
 * secret the tests used ({@link SecretLedger}) in every log and output the run produced — the test
 * JVMs' output with the nodes' logs in it, the separate node processes' logs, the command line's
 * output. A secret is found in any of the encodings a careless log line would use: the text itself,
 * base64, base64url, hex.
 */
class SecretScanTest {

  /** Length of the fragment of each encoded secret that is looked for (a 24-byte run of a key is 32 base64 characters). */
  static final int NEEDLE = 32;
  private static final Pattern WORDS = Pattern.compile("[A-Za-z0-9+/_=\\-]{" + NEEDLE + ",}");

  @Test
  @DisplayName("no token, private key, content key, password or PIN the tests used is in any log of the run")
  void noSecretInAnyLog() throws IOException {
    List<SecretLedger.Secret> secrets = SecretLedger.all();
    Map<SecretLedger.Kind, Integer> byKind = new EnumMap<>(SecretLedger.Kind.class);
    secrets.forEach(s -> byKind.merge(s.kind(), 1, Integer::sum));
    // the run did use secrets of every kind: the scan is not vacuous
    assertThat(byKind.keySet()).as("kinds recorded: %s", byKind).contains(SecretLedger.Kind.TOKEN,
        SecretLedger.Kind.PRIVATE_KEY, SecretLedger.Kind.CONTENT_KEY, SecretLedger.Kind.PASSWORD);
    assertThat(secrets.size()).isGreaterThan(1000);

    List<Path> logs = logs();
    long bytes = 0;
    for (Path p : logs) {
      bytes += Files.size(p);
    }
    assertThat(logs).as("logs of the run").hasSizeGreaterThan(20);
    assertThat(bytes).isGreaterThan(1_000_000);

    Scanner scanner = new Scanner(secrets);
    List<String> found = new ArrayList<>();
    for (Path log : logs) {
      found.addAll(scanner.scan(log.toString(), Files.readString(log, StandardCharsets.ISO_8859_1)));
    }
    System.out.printf("secret scan: %d secrets (%s) against %d files, %.1f MB: %d found%n", secrets.size(), byKind,
        logs.size(), bytes / 1e6, found.size());
    assertThat(found).as("secrets in logs").isEmpty();
  }

  @Test
  @DisplayName("the scanner finds a secret written in any of the encodings, and nothing in clean text")
  void theScannerFindsWhatItShould() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    String token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.MEUCIQD1kq6Hh8w2g0hIu0sYQ8jzv2k1Hn7b5lQW3s0aZkq0AiBy";
    Scanner scanner = new Scanner(List.of(new SecretLedger.Secret(SecretLedger.Kind.CONTENT_KEY, key),
        new SecretLedger.Secret(SecretLedger.Kind.TOKEN, token.getBytes(StandardCharsets.US_ASCII)),
        new SecretLedger.Secret(SecretLedger.Kind.PASSWORD, "correct horse battery staple".getBytes(StandardCharsets.UTF_8))));
    assertThat(scanner.scan("a", "INFO key=" + Base64.getUrlEncoder().withoutPadding().encodeToString(key) + " done")).hasSize(1);
    assertThat(scanner.scan("b", "{\"k\":\"" + Base64.getEncoder().encodeToString(key) + "\"}")).hasSize(1);
    assertThat(scanner.scan("c", "hex " + HexFormat.of().formatHex(key).toUpperCase())).hasSize(1);
    assertThat(scanner.scan("d", "Authorization: Bearer " + token)).hasSize(1);
    assertThat(scanner.scan("e", "password=correct horse battery staple")).hasSize(1);
    assertThat(scanner.scan("f", "INFO licensor listening on https://127.0.0.1:8443 " + token.substring(0, 40))).isEmpty();
  }

  /** Test JVM output (nodes in-process log there), node process logs, anything else the run logged under target/. */
  private static List<Path> logs() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String dir : List.of("target/surefire-reports", "target/surefire-reports-pkcs11", "target/cluster-logs",
        "target/runbooks", "load-tests/target")) {
      Path d = Path.of(dir);
      if (Files.isDirectory(d)) {
        try (Stream<Path> files = Files.walk(d)) {
          files.filter(Files::isRegularFile).filter(p -> {
            String n = p.getFileName().toString();
            return n.endsWith("-output.txt") || n.endsWith(".log") || n.endsWith(".txt") && !n.startsWith("TEST-");
          }).forEach(out::add);
        }
      }
    }
    return out;
  }

  /** Fragments of every secret's encodings, looked up while sliding over the base64-like words of a text. */
  static final class Scanner {
    private final Map<String, String> needles = new HashMap<>();
    private final List<String> phrases = new ArrayList<>();

    Scanner(List<SecretLedger.Secret> secrets) {
      for (SecretLedger.Secret s : secrets) {
        switch (s.kind()) {
          case TOKEN -> {
            String token = new String(s.value(), StandardCharsets.US_ASCII);
            String signature = token.substring(token.lastIndexOf('.') + 1);
            if (signature.length() >= NEEDLE) {
              needles.put(signature.substring(0, NEEDLE), "a bearer token");
            }
          }
          case PASSWORD -> {
            String text = new String(s.value(), StandardCharsets.UTF_8);
            if (text.length() >= 8) {
              phrases.add(text);
            }
          }
          default -> {
            // keys of 24 bytes or more: their first 24 bytes are 32 base64 characters, 48 hex digits
            if (s.value().length >= 24) {
              byte[] head = Arrays.copyOf(s.value(), 24);
              String what = s.kind() == SecretLedger.Kind.CONTENT_KEY ? "a content key" : "a private key";
              for (String encoded : List.of(Base64.getEncoder().encodeToString(head),
                  Base64.getUrlEncoder().encodeToString(head), HexFormat.of().formatHex(head))) {
                needles.put(encoded.substring(0, NEEDLE), what);
              }
            }
          }
        }
      }
    }

    List<String> scan(String name, String text) {
      List<String> found = new ArrayList<>();
      Matcher m = WORDS.matcher(text);
      while (m.find()) {
        String word = m.group();
        String lower = word.toLowerCase(Locale.ROOT);
        for (int i = 0; i + NEEDLE <= word.length(); i++) {
          check(word.substring(i, i + NEEDLE), name, found);
          check(lower.substring(i, i + NEEDLE), name, found);
        }
      }
      for (String phrase : phrases) {
        if (text.contains(phrase)) {
          found.add(name + ": a password or PIN");
        }
      }
      return found;
    }

    private void check(String fragment, String name, List<String> found) {
      String what = needles.get(fragment);
      if (what != null) {
        found.add(name + ": " + what);
      }
    }
  }
}
