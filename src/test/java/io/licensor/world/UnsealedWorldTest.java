package io.licensor.world;

import io.licensor.support.Issuer;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The review's item 5, first half: the world key sat in the clear in {@code module.key} on every
 * node, including nodes that share a database with others. A node on an external database refuses
 * such a key unless told to accept it; the embedded default says so in its readiness details; and
 * {@code licensor world seal} seals a key in place, leaving no copy of it in the clear.
 */
@DisplayName("A module key in the clear is refused where it matters, reported everywhere, and can be sealed in place")
class UnsealedWorldTest {

  static JsonObject settings(Path dir, String dbUrl, Boolean allowUnsealed) {
    JsonObject s = new JsonObject().put("dataDir", dir.toString()).put("http", new JsonObject().put("port", 0).put("instances", 1));
    if (dbUrl != null) {
      s.put("database", new JsonObject().put("url", dbUrl));
    }
    if (allowUnsealed != null) {
      s.put("world", new JsonObject().put("allowUnsealed", allowUnsealed));
    }
    return s;
  }

  @Test
  @DisplayName("a node on an external database with its module key in the clear does not start, naming world.allowUnsealed")
  void externalDatabaseRefusesUnsealed(@TempDir Path dir) {
    String db = TestDatabase.freshDatabaseUrl();
    assertThatThrownBy(() -> TestNode.start(settings(dir, db, false), dir, db, Issuer.rsa("https://operators.test")).close())
        .hasStackTraceContaining("world.allowUnsealed").hasStackTraceContaining("licensor world seal");
    TestNode.start(settings(dir, db, true), dir, db, Issuer.rsa("https://operators.test")).close();
  }

  @Test
  @DisplayName("the embedded default runs unsealed, and an operator's readiness details say sealed: false")
  void embeddedDefaultSaysSo(@TempDir Path dir) {
    try (TestNode node = TestNode.start(settings(dir, null, null), dir, null, Issuer.rsa("https://operators.test"))) {
      JsonObject world = node.http.get("/health/ready", node.operatorToken()).json().getJsonObject("checks").getJsonObject("world");
      assertThat(world.getString("status")).isEqualTo("UP");
      assertThat(world.getBoolean("sealed")).isFalse();
    }
  }

  @Test
  @DisplayName("licensor world seal seals the key in place: the file no longer holds it, and the passphrase opens it")
  void sealInPlace(@TempDir Path dir) throws Exception {
    WorldKey world = ModuleKeyFile.loadOrCreate(dir);
    String clearKey = new JsonObject(Files.readString(ModuleKeyFile.pathIn(dir))).getString("key");
    assertThat(clearKey).isNotBlank();
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), "io.licensor.Main", "world", "seal", "--data-dir", dir.toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("LICENSOR_WORLD_MODULE_PASSPHRASE", "a module passphrase of some length");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    String file = Files.readString(ModuleKeyFile.pathIn(dir));
    assertThat(file).contains("\"sealed\"").doesNotContain(clearKey);
    try (var listing = Files.list(ModuleKeyFile.pathIn(dir).getParent())) {
      assertThat(listing.map(f -> f.getFileName().toString())).containsExactly("module.key");
    }
    assertThat(ModuleKeyFile.isSealed(dir)).isTrue();
    WorldKey opened = ModuleKeyFile.load(dir, "a module passphrase of some length".toCharArray());
    assertThat(opened.worldId()).isEqualTo(world.worldId());
    assertThatThrownBy(() -> ModuleKeyFile.load(dir, null)).hasMessageContaining("sealed");
  }
}
