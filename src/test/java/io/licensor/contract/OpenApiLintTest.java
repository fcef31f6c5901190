package io.licensor.contract;

import io.licensor.support.NodeJs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25, item 4: the OpenAPI document passes two independent linters with no error and no
 * warning: Redocly CLI (its recommended rules; the four exceptions, with their reason, are in
 * src/test/openapi-lint/.redocly.lint-ignore.yaml) and Spectral (spectral:oas). Both are pinned in
 * src/test/openapi-lint/package-lock.json and installed from the npm registry by npm ci.
 */
@DisplayName("The OpenAPI document passes Redocly and Spectral")
class OpenApiLintTest {

  static final Path LINT = Path.of("src", "test", "openapi-lint").toAbsolutePath();
  /** No telemetry and no update check: the linters talk to nothing. */
  static final Map<String, String> QUIET = Map.of("REDOCLY_TELEMETRY", "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE", "true",
      "NO_UPDATE_NOTIFIER", "1", "CI", "true");

  @BeforeAll
  static void install() {
    NodeJs.requireNode();
    if (!Files.isDirectory(LINT.resolve("node_modules").resolve("@redocly"))
        || !Files.isDirectory(LINT.resolve("node_modules").resolve("@stoplight"))) {
      NodeJs.Run ci = NodeJs.run(LINT, List.of("npm", "ci", "--no-audit", "--no-fund"), QUIET, 600);
      assertThat(ci.exitCode()).as("npm ci in src/test/openapi-lint:\n" + ci.output()).isZero();
    }
  }

  @Test
  @DisplayName("redocly lint (recommended): valid, no error, no warning")
  void redocly() {
    NodeJs.Run r = NodeJs.run(LINT, List.of("npx", "--no-install", "redocly", "lint", "--format=summary",
        "--config", "redocly.yaml", "../../main/resources/openapi.yaml"), QUIET, 300);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).as(r.output()).contains("Your API description is valid")
        .doesNotContainPattern("(?m)^(error|warning) ").doesNotContain("You have");
  }

  @Test
  @DisplayName("spectral lint (spectral:oas): no problem of any severity")
  void spectral() {
    NodeJs.Run r = NodeJs.run(LINT, List.of("npx", "--no-install", "spectral", "lint", "--ruleset", ".spectral.yaml",
        "--fail-severity", "hint", "../../main/resources/openapi.yaml"), QUIET, 300);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("No results with a severity of 'hint' or higher found");
  }
}
