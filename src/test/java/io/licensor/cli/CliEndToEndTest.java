package io.licensor.cli;

import io.licensor.Main;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line end to end against a real node (dev mode, real HTTP, PostgreSQL and HSM):
 * an operator makes a tenant, alice protects a file for bob, bob opens it, carol cannot, the tenant
 * is re-keyed and the old file still opens, the subscription is cancelled and opening fails with
 * subscription-cancelled.
 */
@DisplayName("licensor command line, end to end")
class CliEndToEndTest {

  private static TestNode node;
  private static String operator;

  @TempDir
  static Path dir;

  @BeforeAll
  static void start() {
    node = TestNode.start(new JsonObject().put("dev", new JsonObject().put("enabled", true)));
    operator = devToken();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static Cli cli() {
    return new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port())
        .with("LICENSOR_DEV_ENABLED", "true").with("LICENSOR_DATA_DIR", node.dataDir.toString());
  }

  private static String devToken(String... args) {
    List<String> all = new ArrayList<>(List.of("dev-token"));
    all.addAll(List.of(args));
    Cli.Result r = cli().run(all.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r.outLine();
  }

  private static Cli as(String token) {
    return cli().with("LICENSOR_TOKEN", token);
  }

  @Test
  @DisplayName("protect, open as a granted user, refused for others, re-key, old file opens, cancel, refused")
  void protectOpenRekeyCancel() throws IOException {
    Cli.Result created = as(operator).run("tenant", "create", "contoso", "--admin-email", "admin@contoso.test", "--dev-identity");
    assertThat(created.exitCode()).as(created.toString()).isZero();
    assertThat(created.out()).contains("created tenant contoso, current key contoso:1");

    String alice = devToken("--tenant", "contoso", "--sub", "alice@contoso.test");
    String bob = devToken("--tenant", "contoso", "--sub", "bob@contoso.test");
    String carol = devToken("--tenant", "contoso", "--sub", "carol@contoso.test");

    byte[] plan = "Q3 plan: acquire fabrikam\n".getBytes(StandardCharsets.UTF_8);
    Path report = Files.write(dir.resolve("report.txt"), plan);
    Cli.Result protectedIt = as(alice).run("protect", report.toString(), "--tenant", "contoso",
        "--grant", "bob@contoso.test:VIEW,PRINT");
    assertThat(protectedIt.exitCode()).as(protectedIt.toString()).isZero();
    Path lprot = dir.resolve("report.txt.lprot");
    assertThat(lprot).exists();
    assertThat(new String(Files.readAllBytes(lprot), StandardCharsets.ISO_8859_1)).doesNotContain("Q3 plan");

    Cli.Result bobOpens = as(bob).run("open", lprot.toString());
    assertThat(bobOpens.exitCode()).as(bobOpens.toString()).isZero();
    assertThat(bobOpens.content()).isEqualTo(plan);
    assertThat(bobOpens.err()).contains("as bob@contoso.test").contains("VIEW, PRINT").contains("contoso:1");

    // bob may view, not save a decrypted copy (EXPORT)
    Path copy = dir.resolve("copy.txt");
    Cli.Result bobSaves = as(bob).run("open", lprot.toString(), "--out", copy.toString());
    assertThat(bobSaves.exitCode()).as(bobSaves.toString()).isEqualTo(1);
    assertThat(bobSaves.err()).contains("not EXPORT");
    assertThat(copy).doesNotExist();

    Cli.Result carolOpens = as(carol).run("open", lprot.toString());
    assertThat(carolOpens.exitCode()).as(carolOpens.toString()).isEqualTo(1);
    assertThat(carolOpens.err()).contains("access-denied");
    assertThat(carolOpens.content()).isEmpty();

    Cli.Result rekeyed = as(operator).run("tenant", "rekey", "contoso", "--wait");
    assertThat(rekeyed.exitCode()).as(rekeyed.toString()).isZero();
    assertThat(rekeyed.out()).contains("new current key contoso:2").contains("rollover complete");

    Cli.Result oldOpens = as(bob).run("open", lprot.toString());
    assertThat(oldOpens.exitCode()).as(oldOpens.toString()).isZero();
    assertThat(oldOpens.content()).isEqualTo(plan);

    Path memo = Files.writeString(dir.resolve("memo.txt"), "new content");
    assertThat(as(alice).run("protect", memo.toString(), "--tenant", "contoso", "--grant", "*@contoso.test:OWNER").out())
        .contains("key contoso:2");
    Path saved = dir.resolve("memo-copy.txt");
    Cli.Result carolSaves = as(carol).run("open", dir.resolve("memo.txt.lprot").toString(), "--out", saved.toString());
    assertThat(carolSaves.exitCode()).as(carolSaves.toString()).isZero();
    assertThat(saved).hasContent("new content");

    Cli.Result cancelled = as(operator).run("tenant", "cancel", "contoso");
    assertThat(cancelled.exitCode()).as(cancelled.toString()).isZero();
    assertThat(cancelled.out()).contains("tenant contoso is cancelled");

    Cli.Result refused = as(bob).run("open", lprot.toString());
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.err()).contains("subscription-cancelled").contains("reactivate");
    assertThat(refused.content()).isEmpty();

    Cli.Result show = as(operator).run("tenant", "show", "contoso");
    assertThat(new JsonObject(show.out()).getString("state")).isEqualTo("cancelled");
  }

  @Test
  @DisplayName("tenant update changes name, admin e-mail and one identity setting, keeping the rest of the identity")
  void updateTenant() {
    assertThat(as(operator).run("tenant", "create", "northwind", "--admin-email", "admin@northwind.test", "--dev-identity")
        .exitCode()).isZero();
    JsonObject before = new JsonObject(as(operator).run("tenant", "show", "northwind").out());

    Cli.Result nothing = as(operator).run("tenant", "update", "northwind");
    assertThat(nothing.exitCode()).as(nothing.toString()).isEqualTo(2);
    assertThat(nothing.err()).contains("--admin-email");

    Cli.Result updated = as(operator).run("tenant", "update", "northwind", "--name", "Northwind Traders",
        "--admin-email", "rms@northwind.test", "--principal-claim", "email");
    assertThat(updated.exitCode()).as(updated.toString()).isZero();
    assertThat(updated.out()).contains("updated tenant northwind").contains("every node confirmed");

    JsonObject after = new JsonObject(as(operator).run("tenant", "show", "northwind").out());
    assertThat(after.getString("displayName")).isEqualTo("Northwind Traders");
    assertThat(after.getString("adminEmail")).isEqualTo("rms@northwind.test");
    JsonObject identity = after.getJsonObject("identity");
    assertThat(identity.getJsonObject("claims").getString("principal")).isEqualTo("email");
    assertThat(identity.fieldNames().stream().filter(f -> !f.equals("claims")).toList())
        .containsExactlyInAnyOrderElementsOf(before.getJsonObject("identity").fieldNames());
    assertThat(identity.getString("issuer")).isEqualTo(before.getJsonObject("identity").getString("issuer"));
    assertThat(identity.getJsonObject("jwks")).isEqualTo(before.getJsonObject("identity").getJsonObject("jwks"));
    assertThat(identity.getJsonObject("tenantClaim")).isEqualTo(before.getJsonObject("identity").getJsonObject("tenantClaim"));

    Cli.Result bad = as(operator).run("tenant", "update", "northwind", "--admin-email", "nobody");
    assertThat(bad.exitCode()).as("input the server refused (400): exit 2; %s", bad).isEqualTo(2);
    assertThat(bad.err()).contains("adminEmail must be an e-mail address");
  }

  @Test
  @DisplayName("a changed protected file opens to nothing, with a clear message")
  void tamperedFile() throws IOException {
    as(operator).run("tenant", "create", "tamper", "--admin-email", "admin@tamper.test", "--dev-identity");
    String dana = devToken("--tenant", "tamper", "--sub", "dana@tamper.test");
    Path doc = Files.writeString(dir.resolve("doc.txt"), "the original text");
    assertThat(as(dana).run("protect", doc.toString(), "--tenant", "tamper", "--grant", "dana@tamper.test:VIEW").exitCode()).isZero();
    Path lprot = dir.resolve("doc.txt.lprot");
    byte[] bytes = Files.readAllBytes(lprot);
    bytes[bytes.length - 20] ^= 1;
    Files.write(lprot, bytes);
    Cli.Result r = as(dana).run("open", lprot.toString());
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("changed or damaged");
    assertThat(r.content()).isEmpty();

    Path notProtected = Files.writeString(dir.resolve("plain.txt"), "hello");
    Cli.Result plain = as(dana).run("open", notProtected.toString());
    assertThat(plain.exitCode()).isEqualTo(2);
    assertThat(plain.err()).contains("not a licensor-protected file");
    assertThat(ProtectedFileCheck.readsAsProtected(Files.readAllBytes(notProtected))).isFalse();
  }

  @Test
  @DisplayName("mistyped commands and options say what is wrong and exit non-zero; a missing server exits 3")
  void usageErrors() {
    Cli.Result typo = as(operator).run("tenant", "cancle", "contoso");
    assertThat(typo.exitCode()).isEqualTo(2);
    assertThat(typo.err()).contains("cancle").contains("cancel");

    Cli.Result option = as(operator).run("tenant", "rekey", "contoso", "--algoritm", "EC-P256");
    assertThat(option.exitCode()).isEqualTo(2);
    assertThat(option.err()).contains("--algoritm").contains("--algorithm");

    Cli.Result missing = as(operator).run("tenant", "create", "x", "--dev-identity");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("Missing required option: '--admin-email=EMAIL'");

    Cli.Result grant = as(operator).run("protect", "x.txt", "--tenant", "t", "--grant", "bob@x.test:READ");
    assertThat(grant.exitCode()).isEqualTo(2);
    assertThat(grant.err()).contains("unknown right 'READ'");

    Cli.Result noToken = cli().run("tenant", "show", "contoso");
    assertThat(noToken.exitCode()).isEqualTo(2);
    assertThat(noToken.err()).contains("LICENSOR_TOKEN");

    Cli.Result unreachable = as(operator).with("LICENSOR_URL", "http://127.0.0.1:1").run("tenant", "show", "contoso");
    assertThat(unreachable.exitCode()).isEqualTo(3);
    assertThat(unreachable.err()).contains("cannot reach the server at http://127.0.0.1:1");

    // refused for a role the operator lacks (exports are the tenant admin's): no hint that it lacks "operator"
    Path exportPassword;
    try {
      exportPassword = Files.writeString(dir.resolve("usage-export.pass"), "a long enough export password");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    assertThat(as(operator).run("tenant", "create", "usage-t", "--admin-email", "a@usage-t.test", "--dev-identity").exitCode())
        .isZero();
    Cli.Result notAdmin = as(operator).run("tenant", "export", "usage-t", "--key-version", "1", "--password-file",
        exportPassword.toString(), "--out", dir.resolve("never.pem").toString());
    assertThat(notAdmin.exitCode()).as(notAdmin.toString()).isEqualTo(1);
    assertThat(notAdmin.err()).contains("forbidden").doesNotContain("needs another role (operator");

    // the server's ?replace=true is the command line's --replace
    Path pkg = dir.resolve("usage.backup.json");
    assertThat(as(operator).run("backup", "usage-t", "--out", pkg.toString(), "--force").exitCode()).isZero();
    Cli.Result exists = as(operator).run("restore", pkg.toString());
    assertThat(exists.exitCode()).as(exists.toString()).isEqualTo(1);
    assertThat(exists.err()).contains("tenant-exists", "--replace").doesNotContain("?replace=true");

    Cli.Result forged = as(operator + "x").run("tenant", "show", "contoso");
    assertThat(forged.exitCode()).isEqualTo(1);
    assertThat(forged.err()).contains("unauthenticated").doesNotContain(operator);
  }

  @Test
  @DisplayName("an empty token is refused by the command line itself (exit 2), never sent")
  void emptyTokenIsRefused() throws IOException {
    // --token "$TOKEN" where making TOKEN failed
    Cli.Result emptyOption = cli().run("tenant", "show", "contoso", "--token", "");
    assertThat(emptyOption.exitCode()).as(emptyOption.toString()).isEqualTo(2);
    assertThat(emptyOption.err()).contains("--token is empty");
    Path empty = Files.writeString(dir.resolve("empty.token"), "\n");
    Cli.Result emptyFile = cli().run("tenant", "show", "contoso", "--token-file", empty.toString());
    assertThat(emptyFile.exitCode()).isEqualTo(2);
    assertThat(emptyFile.err()).contains("is empty");
    Cli.Result emptyVariable = cli().with("LICENSOR_TOKEN", "").run("tenant", "show", "contoso");
    assertThat(emptyVariable.exitCode()).isEqualTo(2);
    assertThat(emptyVariable.err()).contains("no token");
  }

  @Test
  @DisplayName("health --wait --pid stops waiting as soon as the node's process has exited")
  void healthStopsWhenTheNodeIsGone() throws Exception {
    // a "node" that exits at once (as one with a bad setting does); nothing listens on its port
    Process gone = new ProcessBuilder("sh", "-c", "exit 2").start();
    gone.waitFor();
    long began = System.nanoTime();
    Cli.Result r = cli().with("LICENSOR_URL", "http://127.0.0.1:1")
        .run("health", "--wait", "120", "--pid", Long.toString(gone.pid()));
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(3);
    assertThat(r.err()).contains("not running");
    Process dies = new ProcessBuilder("sleep", "2").start();
    Cli.Result later = cli().with("LICENSOR_URL", "http://127.0.0.1:1")
        .run("health", "--wait", "120", "--pid", Long.toString(dies.pid()));
    assertThat(later.exitCode()).as(later.toString()).isEqualTo(3);
    assertThat(later.err()).contains("exited before it was ready");
    assertThat((System.nanoTime() - began) / 1_000_000_000L).as("seconds waited, of 120").isLessThan(60);
  }

  @Test
  @DisplayName("licensor generate-completion prints a bash/zsh completion script that knows the commands and options")
  void shellCompletion() {
    Cli.Result r = cli().run("generate-completion");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("complete -F").contains("protect").contains("template").contains("--admin-email");
  }

  @Test
  @DisplayName("licensor --help and every subcommand's --help describe the command and each option")
  void helpIsComplete() {
    List<String> missing = new ArrayList<>();
    checkHelp(Main.commandLine(), new ArrayList<>(), missing);
    assertThat(missing).isEmpty();
  }

  private void checkHelp(CommandLine command, List<String> path, List<String> missing) {
    List<String> args = new ArrayList<>(path);
    args.add("--help");
    Cli.Result r = cli().run(args.toArray(String[]::new));
    String name = String.join(" ", path);
    if (r.exitCode() != 0 || !r.out().contains("Usage: licensor")) {
      missing.add(name + ": --help exits " + r.exitCode());
    }
    if (command.getCommandSpec().usageMessage().description().length == 0) {
      missing.add(name + ": no description");
    }
    for (CommandLine.Model.OptionSpec option : command.getCommandSpec().options()) {
      if (option.description().length == 0 || option.description()[0].isBlank()) {
        missing.add(name + " " + option.longestName() + ": no description");
      }
    }
    for (var sub : command.getSubcommands().entrySet()) {
      List<String> next = new ArrayList<>(path);
      next.add(sub.getKey());
      checkHelp(sub.getValue(), next, missing);
    }
  }

  /** Reading a non-protected file fails before any network call. */
  static final class ProtectedFileCheck {
    static boolean readsAsProtected(byte[] bytes) {
      try {
        io.licensor.client.ProtectedContainer.read(new ByteArrayInputStream(bytes));
        return true;
      } catch (io.licensor.client.LicensorException | IOException e) {
        return false;
      }
    }
  }
}
