package io.licensor.world;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.licensor.cli.Cli;
import io.licensor.support.Issuer;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 22, item 5: the security world as an operator meets it: {@code world init} and {@code load}
 * say whether the module key is sealed; a missing passphrase file, a quorum of one and an existing
 * card file are each said plainly; a first start without {@code world init} says it made a world
 * without admin cards, at every start, and readiness shows it.
 */
@DisplayName("The security world: what init, load and a first start tell the operator")
class WorldCommandsTest {

  @TempDir
  Path dir;

  Path pass(int card) throws Exception {
    return Files.writeString(dir.resolve("card" + card + ".pass"), "passphrase of card " + card);
  }

  Cli.Result init(Cli cli, String out, String... extra) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("world", "init", "--cards", "2", "--quorum", "2",
        "--out", dir.resolve(out).toString(), "--passphrase-file", "1=" + pass(1), "--passphrase-file", "2=" + pass(2)));
    args.addAll(List.of(extra));
    return cli.run(args.toArray(String[]::new));
  }

  @Test
  @DisplayName("init and load say whether the module key is sealed")
  void sealingIsSaid() throws Exception {
    Cli.Result clear = init(new Cli(), "w1", "--data-dir", dir.resolve("d1").toString());
    assertThat(clear.exitCode()).as(clear.toString()).isZero();
    assertThat(clear.out()).contains("kept in the clear", "LICENSOR_WORLD_MODULE_PASSPHRASE");
    Cli.Result sealed = init(new Cli().with("LICENSOR_WORLD_MODULE_PASSPHRASE", "a module passphrase"), "w2",
        "--data-dir", dir.resolve("d2").toString());
    assertThat(sealed.exitCode()).as(sealed.toString()).isZero();
    assertThat(sealed.out()).contains("sealed under LICENSOR_WORLD_MODULE_PASSPHRASE");
    assertThat(ModuleKeyFile.isSealed(dir.resolve("d2"))).isTrue();

    Cli.Result loaded = new Cli().with("LICENSOR_WORLD_MODULE_PASSPHRASE", "another module passphrase").run("world", "load",
        "--world", dir.resolve("w1/world.json").toString(), "--card", dir.resolve("w1/card-1.json").toString(),
        "--card", dir.resolve("w1/card-2.json").toString(), "--data-dir", dir.resolve("d3").toString(),
        "--passphrase-file", "1=" + pass(1), "--passphrase-file", "2=" + pass(2));
    assertThat(loaded.exitCode()).as(loaded.toString()).isZero();
    assertThat(loaded.out()).contains("loaded into", "sealed under");
    assertThat(ModuleKeyFile.hasAdminCards(dir.resolve("d3"))).isTrue();
  }

  @Test
  @DisplayName("a missing passphrase file is a plain error (exit 2, no stack trace); a quorum of one is warned of; cards are not overwritten")
  void mistakesAreSaidPlainly() throws Exception {
    Cli.Result missing = new Cli().run("world", "init", "--cards", "2", "--quorum", "2", "--out", dir.resolve("w").toString(),
        "--passphrase-file", "1=" + pass(1), "--passphrase-file", "2=" + dir.resolve("nowhere.pass"));
    assertThat(missing.exitCode()).as(missing.toString()).isEqualTo(2);
    assertThat(missing.err()).contains("cannot read --passphrase-file 2=", "no such file").doesNotContain("Exception", "\tat ");
    assertThat(dir.resolve("w/world.json")).doesNotExist();

    Cli.Result one = new Cli().run("world", "init", "--cards", "2", "--quorum", "1", "--out", dir.resolve("w1").toString(),
        "--passphrase-file", "1=" + pass(1), "--passphrase-file", "2=" + pass(2));
    assertThat(one.exitCode()).as(one.toString()).isZero();
    assertThat(one.err()).contains("warning: --quorum 1");

    String before = Files.readString(dir.resolve("w1/card-1.json"));
    Cli.Result again = new Cli().run("world", "init", "--cards", "2", "--quorum", "2", "--out", dir.resolve("w1").toString(),
        "--passphrase-file", "1=" + pass(1), "--passphrase-file", "2=" + pass(2));
    assertThat(again.exitCode()).isEqualTo(2);
    assertThat(again.err()).contains("exists", "--force");
    assertThat(Files.readString(dir.resolve("w1/card-1.json"))).as("the first world's card kept").isEqualTo(before);

    Cli.Result help = new Cli().run("world", "init", "--help");
    assertThat(help.out()).contains("LICENSOR_CARD_PASSPHRASE_<n>", "LICENSOR_WORLD_MODULE_PASSPHRASE");
  }

  @Test
  @DisplayName("a first start without world init says it made a world without admin cards; readiness shows adminCards false")
  void firstStartWithoutCards() throws Exception {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    Logger logger = (Logger) LoggerFactory.getLogger("io.licensor.node.NodeHsm");
    logger.addAppender(log);
    try (TestNode node = TestNode.start()) {
      List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(lines).anyMatch(l -> l.contains("created by this first start"));
      assertThat(lines).anyMatch(l -> l.contains("has no admin cards") && l.contains("licensor world init"));
      JsonObject world = node.http.get("/health/ready", node.operatorToken()).json().getJsonObject("checks").getJsonObject("world");
      assertThat(world.getBoolean("adminCards")).isFalse();
    } finally {
      logger.detachAppender(log);
    }

    // a world made with cards first
    Path data = dir.resolve("carded");
    assertThat(init(new Cli(), "wc", "--data-dir", data.toString()).exitCode()).isZero();
    String db = TestDatabase.freshDatabaseUrl();
    JsonObject settings = new JsonObject().put("dataDir", data.toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 1)).put("database", new JsonObject().put("url", db));
    try (TestNode node = TestNode.start(settings, data, db, Issuer.rsa("https://operators.test"))) {
      JsonObject world = node.http.get("/health/ready", node.operatorToken()).json().getJsonObject("checks").getJsonObject("world");
      assertThat(world.getBoolean("adminCards")).isTrue();
    }
  }

  @Test
  @DisplayName("world install copies a sealed module key into a new node's data directory; a wrong passphrase, a key in "
      + "the clear and another world are refused, and installing again changes nothing")
  void installSealedModuleKey() throws Exception {
    String passphrase = "the module passphrase";
    Cli sealed = new Cli().with("LICENSOR_WORLD_MODULE_PASSPHRASE", passphrase);
    Path source = dir.resolve("source");
    assertThat(init(sealed, "cards", "--data-dir", source.toString()).exitCode()).isZero();
    Path key = source.resolve("world").resolve("module.key");
    Path node = dir.resolve("node");

    Cli.Result installed = sealed.run("world", "install", "--from", key.toString(), "--data-dir", node.toString(), "--output", "json");
    assertThat(installed.exitCode()).as(installed.toString()).isZero();
    JsonObject result = new JsonObject(installed.out());
    assertThat(result.getBoolean("sealed")).isTrue();
    Path copy = node.resolve("world").resolve("module.key");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
    assertThat(Files.readString(copy)).doesNotContain("\"key\"").contains("\"sealed\"");
    byte[] before = Files.readAllBytes(copy);
    assertThat(sealed.run("world", "install", "--from", key.toString(), "--data-dir", node.toString()).exitCode()).isZero();
    assertThat(Files.readAllBytes(copy)).isEqualTo(before);

    Cli wrong = new Cli().with("LICENSOR_WORLD_MODULE_PASSPHRASE", "not the passphrase at all");
    Cli.Result refused = wrong.run("world", "install", "--from", key.toString(), "--data-dir", dir.resolve("other").toString());
    assertThat(refused.exitCode()).isEqualTo(2);
    assertThat(Files.exists(dir.resolve("other").resolve("world").resolve("module.key"))).isFalse();

    Path clear = dir.resolve("clear");
    assertThat(init(new Cli(), "cards-clear", "--data-dir", clear.toString(), "--force").exitCode()).isZero();
    Cli.Result inClear = sealed.run("world", "install", "--from", clear.resolve("world").resolve("module.key").toString(),
        "--data-dir", dir.resolve("third").toString());
    assertThat(inClear.exitCode()).isEqualTo(2);
    assertThat(inClear.err()).contains("in the clear");

    Path otherWorld = dir.resolve("source2");
    assertThat(init(sealed, "cards2", "--data-dir", otherWorld.toString()).exitCode()).isZero();
    Cli.Result another = sealed.run("world", "install", "--from", otherWorld.resolve("world").resolve("module.key").toString(),
        "--data-dir", node.toString());
    assertThat(another.exitCode()).isEqualTo(2);
    assertThat(another.err()).contains("refusing to replace");
    assertThat(Files.readAllBytes(copy)).isEqualTo(before);
  }
}
