package io.licensor.cli;

import io.licensor.Main;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25, item 6: the command line for scripts. Every command takes {@code --output json}; its
 * result, on standard output, is then one JSON object a script can parse (state changes included:
 * create, update, re-key, cancel, reactivate, destroy, revoke, templates, restore, policy), times in
 * it are ISO-8601, and a failure is one JSON object on standard error with the exit code and the
 * server's problem slug.
 */
@DisplayName("licensor --output json: one JSON object per command, ISO-8601 times, errors as JSON")
class CliJsonOutputTest {

  /** Commands that are not one-result commands: the node itself, and the shell completion script. */
  static final Set<String> NOT_ONE_RESULT = Set.of("serve", "generate-completion");

  static TestNode node;
  static String operator;

  @TempDir
  static Path dir;

  @BeforeAll
  static void start() {
    node = TestNode.start(new JsonObject().put("dev", new JsonObject().put("enabled", true)));
    operator = json(cli().run("dev-token", "--output", "json")).getString("token");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static Cli cli() {
    return new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port())
        .with("LICENSOR_DEV_ENABLED", "true").with("LICENSOR_DATA_DIR", node.dataDir.toString());
  }

  static Cli as(String token) {
    return cli().with("LICENSOR_TOKEN", token);
  }

  /** The command succeeded and printed exactly one JSON object on standard output. */
  static JsonObject json(Cli.Result r) {
    assertThat(r.exitCode()).as(r.toString()).isZero();
    String out = r.out().strip();
    assertThat(out).as(r.toString()).startsWith("{").endsWith("}");
    return new JsonObject(out);
  }

  /** The command failed with this exit code, nothing on standard output, one JSON object on standard error. */
  static JsonObject error(Cli.Result r, int exitCode) {
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(exitCode);
    assertThat(r.out().strip()).as(r.toString()).isEmpty();
    JsonObject e = new JsonObject(r.err().strip());
    assertThat(e.getInteger("exitCode")).isEqualTo(exitCode);
    assertThat(e.getString("error")).isNotBlank();
    return e;
  }

  static void iso(String instant) {
    assertThat(Instant.parse(instant)).isNotNull();
  }

  @Test
  @DisplayName("every command but serve and generate-completion takes --output")
  void everyCommandTakesOutput() {
    List<String> without = new ArrayList<>();
    walk(Main.commandLine(), "licensor", without);
    assertThat(without).isEmpty();
  }

  private static void walk(CommandLine c, String name, List<String> without) {
    if (c.getSubcommands().isEmpty()) {
      if (!NOT_ONE_RESULT.contains(c.getCommandName()) && c.getCommandSpec().findOption("--output") == null) {
        without.add(name);
      }
      return;
    }
    c.getSubcommands().forEach((n, sub) -> walk(sub, name + " " + n, without));
  }

  @Test
  @DisplayName("a tenant's whole lifecycle, scripted: each step one JSON object, times ISO-8601")
  void lifecycleAsJson() throws Exception {
    Cli op = as(operator);
    JsonObject created = json(op.run("tenant", "create", "jsonco", "--admin-email", "admin@jsonco.test", "--dev-identity",
        "--output", "json"));
    assertThat(created.getString("id")).isEqualTo("jsonco");
    assertThat(created.getString("currentKid")).isEqualTo("jsonco:1");

    JsonObject updated = json(op.run("tenant", "update", "jsonco", "--name", "Json Co", "--output", "json"));
    assertThat(updated.getString("displayName")).isEqualTo("Json Co");
    assertThat(updated.getString("etag")).matches("\"r[0-9]+\"");

    JsonObject rekeyed = json(op.run("tenant", "rekey", "jsonco", "--output", "json"));
    assertThat(rekeyed.getString("kid")).isEqualTo("jsonco:2");
    assertThat(rekeyed.getJsonObject("propagation").getBoolean("complete")).isTrue();
    iso(rekeyed.getString("createdAt"));

    JsonObject template = json(op.run("template", "create", "jsonco", "--name", "Readers", "--grant", "*:VIEW",
        "--output", "json"));
    String templateId = template.getString("id");
    assertThat(json(op.run("template", "list", "jsonco", "--output", "json")).getJsonArray("templates").stream()
        .map(t -> ((JsonObject) t).getString("id"))).contains(templateId);
    assertThat(json(op.run("template", "archive", "jsonco", templateId, "--output", "json")).getString("state"))
        .isEqualTo("archived");

    String alice = json(cli().run("dev-token", "--tenant", "jsonco", "--sub", "alice@jsonco.test", "--output", "json"))
        .getString("token");
    Path plain = Files.writeString(dir.resolve("memo.txt"), "for scripts");
    JsonObject protectedFile = json(as(alice).run("protect", plain.toString(), "--tenant", "jsonco",
        "--grant", "alice@jsonco.test:VIEW", "--output", "json"));
    assertThat(protectedFile.getString("kid")).isEqualTo("jsonco:2");
    JsonObject opened = json(as(alice).run("open", protectedFile.getString("protected"), "--output", "json"));
    assertThat(new String(Base64.getDecoder().decode(opened.getString("contentBase64")), StandardCharsets.UTF_8))
        .isEqualTo("for scripts");
    assertThat(opened.getJsonArray("rights")).containsExactly("VIEW");
    iso(opened.getString("expiresAt"));

    String contentId = protectedFile.getString("contentId");
    assertThat(json(op.run("document", "revoke", "jsonco", contentId, "--output", "json")).getBoolean("changed")).isTrue();
    assertThat(json(op.run("document", "unrevoke", "jsonco", contentId, "--output", "json")).getBoolean("changed")).isTrue();

    JsonObject kek = json(op.run("byok", "kek", "jsonco", "--out", dir.resolve("kek.pem").toString(), "--output", "json"));
    iso(kek.getString("expiresAt"));

    Path backupFile = dir.resolve("jsonco.backup");
    JsonObject backup = json(op.run("backup", "jsonco", "--out", backupFile.toString(), "--output", "json"));
    assertThat(backup.getInteger("versions")).isEqualTo(2);

    JsonObject cancelled = json(op.run("tenant", "cancel", "jsonco", "--output", "json"));
    assertThat(cancelled.getString("state")).isEqualTo("cancelled");
    JsonObject destroyed = json(op.run("tenant", "destroy", "jsonco", "--key-version", "1", "--reason", "scripted",
        "--yes", "--output", "json"));
    assertThat(destroyed.getString("outcome")).isEqualTo("destroyed");
    assertThat(json(op.run("tenant", "destroy", "jsonco", "--key-version", "1", "--reason", "scripted", "--yes",
        "--output", "json")).getString("outcome")).isEqualTo("already-destroyed");
    JsonObject back = json(op.run("tenant", "reactivate", "jsonco", "--output", "json"));
    assertThat(back.getString("state")).isEqualTo("active");

    JsonObject restored = json(op.run("restore", backupFile.toString(), "--replace", "--force", "--output", "json"));
    assertThat(restored.getString("tenant")).isEqualTo("jsonco");

    JsonObject policy = json(op.run("policy", "set", "--allow", "RSA-2048,RSA-3072,EC-P256", "--output", "json"));
    assertThat(policy.getJsonArray("effective")).contains("RSA-2048");
    JsonObject service = json(op.run("audit", "--service", "--output", "json"));
    assertThat(service.getString("chain")).isEqualTo("service");
    assertThat(service.getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("action")))
        .contains("crypto-policy.set");
    JsonObject audit = json(op.run("audit", "jsonco", "--output", "json"));
    assertThat(audit.getJsonArray("events")).isNotEmpty();
    iso(((JsonObject) audit.getJsonArray("events").getValue(0)).getString("at"));
    assertThat(json(op.run("cluster", "status", "--output", "json")).containsKey("members")).isTrue();
    assertThat(json(cli().run("health", "--output", "json")).getString("status")).isEqualTo("UP");
  }

  @Test
  @DisplayName("a refusal is one JSON object on standard error: message, exit code, problem slug")
  void refusalsAsJson() {
    Cli op = as(operator);
    JsonObject missing = error(op.run("tenant", "show", "nobody-here", "--output", "json"), 1);
    assertThat(missing.getString("problem")).isEqualTo("tenant-not-found");
    JsonObject bad = error(op.run("tenant", "create", "Bad_Id", "--admin-email", "a@b.test", "--dev-identity",
        "--output", "json"), 2);
    assertThat(bad.getString("problem")).isEqualTo("invalid-request");
    JsonObject usage = error(op.run("tenant", "destroy", "jsonco", "--key-version", "1", "--reason", "x", "--output", "json"), 2);
    assertThat(usage.getString("error")).contains("--yes");
    JsonObject notSent = error(op.run("mail", "test", "--to", "ops@example.test", "--output", "json"), 1);
    assertThat(notSent.getString("error")).contains("nothing was sent");
  }

  @Test
  @DisplayName("local commands too: dev-token, bench-hsm, the JWK Set")
  void localCommandsAsJson() {
    JsonObject token = json(cli().run("dev-token", "--tenant", "t1", "--sub", "u@t1.test", "--ttl", "60", "--output", "json"));
    assertThat(token.getString("token").split("\\.")).hasSize(3);
    Instant expires = Instant.parse(token.getString("expiresAt"));
    assertThat(expires).isBetween(Instant.now().plusSeconds(30), Instant.now().plusSeconds(90));
    JsonObject jwks = json(cli().run("dev-token", "--jwks", "--output", "json"));
    assertThat(jwks.getJsonArray("keys")).isNotEmpty();
    JsonObject bench = json(cli().run("bench-hsm", "--seconds", "0.3", "--output", "json"));
    assertThat(bench.getDouble("perSecond")).isPositive();
    assertThat(bench.getString("operation")).isEqualTo("unwrap+sign");
    assertThat(new JsonArray().add(bench.getString("algorithm"))).containsExactly("RSA-2048");
  }
}
