package io.licensor.cli;

import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 22, item 7, as the attack: another user of the machine reads the files the command line
 * writes with secrets in them (an exported private key, a backup package, a decrypted document, a
 * transfer file). They are written 0600, so the other user ({@code nobody}, via runuser, where the
 * tests run as root) is refused even in a directory everyone may read; an existing file is not
 * replaced without {@code --force}.
 */
@DisplayName("Secret-bearing files are the owner's alone, and not overwritten unasked")
class SecretFilesTest {

  static TestNode node;
  static Path dir;
  static String operator;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(new JsonObject().put("dev", new JsonObject().put("enabled", true)));
    dir = Files.createTempDirectory("licensor-secret-files-");
    // a directory everyone may enter and list: only each file's own mode keeps others out
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    operator = cli().run("dev-token").out().strip();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static Cli cli() {
    return new Cli().with("LICENSOR_URL", "http://127.0.0.1:" + node.node.port()).with("LICENSOR_DEV_ENABLED", "true")
        .with("LICENSOR_DATA_DIR", node.dataDir.toString());
  }

  static Cli as(String token) {
    return cli().with("LICENSOR_TOKEN", token);
  }

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** Whether the user nobody can read {@code file} (run as that user: the attack). */
  static boolean nobodyReads(Path file) throws Exception {
    Process p = new ProcessBuilder("runuser", "-u", "nobody", "--", "cat", file.toString()).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() == 0;
  }

  static void ownerOnly(Path file) throws Exception {
    assertThat(Files.getPosixFilePermissions(file)).as(file.toString()).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    if (root()) {
      assertThat(nobodyReads(file)).as("another user reads " + file).isFalse();
    }
  }

  @Test
  @DisplayName("backup, export, open --out and byok wrap write 0600: another user cannot read them; a readable file beside them shows they would")
  void anotherUserCannotRead() throws Exception {
    if (root()) {
      Path control = Files.writeString(dir.resolve("control.txt"), "public");
      Files.setPosixFilePermissions(control, PosixFilePermissions.fromString("rw-r--r--"));
      assertThat(nobodyReads(control)).as("the attack works on a file others may read").isTrue();
    }
    assertThat(as(operator).run("tenant", "create", "secrets", "--admin-email", "a@secrets.test", "--dev-identity",
        "--algorithm", "EC-P256").exitCode()).isZero();
    String admin = cli().run("dev-token", "--tenant", "secrets", "--sub", "admin@secrets.test", "--roles", "tenant-admin").out().strip();

    Path backup = dir.resolve("secrets.backup.json");
    Cli.Result b = as(operator).run("backup", "secrets", "--out", backup.toString());
    assertThat(b.exitCode()).as(b.toString()).isZero();
    ownerOnly(backup);

    Path password = Files.writeString(dir.resolve("export.pass"), "an export password that is long");
    Path exported = dir.resolve("secrets-1.pem");
    Cli.Result e = as(admin).run("tenant", "export", "secrets", "--key-version", "1", "--password-file", password.toString(),
        "--out", exported.toString());
    assertThat(e.exitCode()).as(e.toString()).isZero();
    ownerOnly(exported);

    Path plain = Files.writeString(dir.resolve("memo.txt"), "the merger is on");
    assertThat(as(admin).run("protect", plain.toString(), "--tenant", "secrets", "--grant", "admin@secrets.test:OWNER").exitCode())
        .isZero();
    Path opened = dir.resolve("memo-copy.txt");
    Cli.Result o = as(admin).run("open", dir.resolve("memo.txt.lprot").toString(), "--out", opened.toString());
    assertThat(o.exitCode()).as(o.toString()).isZero();
    assertThat(Files.readString(opened)).isEqualTo("the merger is on");
    ownerOnly(opened);

    Path kekPem = dir.resolve("kek.pem");
    String kek = as(admin).run("byok", "kek", "secrets", "--out", kekPem.toString()).out().strip();
    java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
    ec.initialize(256);
    Path key = dir.resolve("customer.der");
    Files.write(key, ec.generateKeyPair().getPrivate().getEncoded());
    Path wrapped = dir.resolve("customer.byok");
    Cli.Result w = cli().run("byok", "wrap", "--key", key.toString(), "--kek", kekPem.toString(), "--kek-kid", kek,
        "--out", wrapped.toString());
    assertThat(w.exitCode()).as(w.toString()).isZero();
    ownerOnly(wrapped);
  }

  @Test
  @DisplayName("an existing file is not overwritten without --force (exit 2, the file untouched); with it, replaced and still 0600")
  void noSilentOverwrite() throws Exception {
    assertThat(as(operator).run("tenant", "create", "kept", "--admin-email", "a@kept.test", "--dev-identity").exitCode()).isZero();
    Path existing = Files.writeString(dir.resolve("kept.backup.json"), "an older package", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-r--r--"));
    Cli.Result refused = as(operator).run("backup", "kept", "--out", existing.toString());
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
    assertThat(refused.err()).contains("exists", "--force");
    assertThat(Files.readString(existing)).isEqualTo("an older package");

    Cli.Result forced = as(operator).run("backup", "kept", "--out", existing.toString(), "--force");
    assertThat(forced.exitCode()).as(forced.toString()).isZero();
    assertThat(new JsonObject(Files.readString(existing)).getString("format")).isEqualTo("licensor-backup/2");
    ownerOnly(existing);
    try (var left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList()).as("no temporary left").isEmpty();
    }
    assertThat(List.of(existing.getFileName().toString())).isNotEmpty();
  }
}
