package io.licensor.world;

import io.licensor.Main;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("The security world's administrator cards")
class AdminCardsTest {

  static List<char[]> passphrases(int n, String prefix) {
    List<char[]> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      out.add((prefix + " card " + i).toCharArray());
    }
    return out;
  }

  static List<AdminCards.Card> cards(AdminCards.NewWorld world) {
    return world.cards().stream().map(c -> AdminCards.read(c, "card")).toList();
  }

  @Test
  @DisplayName("any 3 of 5 cards rebuild the same world key (all 10 combinations)")
  void anyQuorumRebuildsTheWorld() {
    List<char[]> pass = passphrases(5, "secret");
    AdminCards.NewWorld world = AdminCards.create(3, pass);
    byte[] expected = world.key().secretBytesForHsm();
    List<AdminCards.Card> cards = cards(world);
    int combinations = 0;
    for (int a = 0; a < 5; a++) {
      for (int b = a + 1; b < 5; b++) {
        for (int c = b + 1; c < 5; c++) {
          WorldKey rebuilt = AdminCards.rebuild(world.worldFile(), List.of(cards.get(a), cards.get(b), cards.get(c)),
              List.of(pass.get(a), pass.get(b), pass.get(c)));
          assertThat(rebuilt.worldId()).isEqualTo(world.key().worldId());
          assertThat(rebuilt.secretBytesForHsm()).isEqualTo(expected);
          combinations++;
        }
      }
    }
    assertThat(combinations).isEqualTo(10);
    assertThat(world.worldFile().encode()).doesNotContain(Base64.getEncoder().encodeToString(expected));
  }

  @Test
  @DisplayName("two cards, a wrong passphrase, a card of another world, or a repeated card: each a clear failure")
  void badCardSetsFail() {
    List<char[]> pass = passphrases(5, "secret");
    AdminCards.NewWorld world = AdminCards.create(3, pass);
    List<AdminCards.Card> cards = cards(world);
    assertThatThrownBy(() -> AdminCards.rebuild(world.worldFile(), cards.subList(0, 2), pass.subList(0, 2)))
        .isInstanceOf(WorldException.class).hasMessageContaining("needs 3 cards, got 2");
    assertThatThrownBy(() -> AdminCards.rebuild(world.worldFile(), cards.subList(0, 3),
        List.of(pass.get(0), "not the passphrase".toCharArray(), pass.get(2))))
        .isInstanceOf(WorldException.class).hasMessageContaining("card 2: wrong passphrase");
    AdminCards.NewWorld other = AdminCards.create(3, passphrases(5, "other"));
    assertThatThrownBy(() -> AdminCards.rebuild(world.worldFile(),
        List.of(cards.get(0), cards.get(1), cards(other).get(2)), List.of(pass.get(0), pass.get(1), "other card 3".toCharArray())))
        .isInstanceOf(WorldException.class).hasMessageContaining("belongs to world " + other.key().worldId());
    assertThatThrownBy(() -> AdminCards.rebuild(world.worldFile(), List.of(cards.get(0), cards.get(0), cards.get(1)),
        List.of(pass.get(0), pass.get(0), pass.get(1))))
        .isInstanceOf(WorldException.class).hasMessageContaining("given twice");
  }

  @Test
  @DisplayName("world init and world load from the command line; a failed load writes nothing")
  void commandLineInitAndLoad(@TempDir Path dir) throws Exception {
    List<String> init = new ArrayList<>(List.of("world", "init", "--cards", "3", "--quorum", "2", "--out",
        dir.resolve("cards").toString()));
    for (int i = 1; i <= 3; i++) {
      Path f = dir.resolve("pass-" + i);
      Files.writeString(f, "passphrase number " + i);
      init.addAll(List.of("--passphrase-file", i + "=" + f));
    }
    assertThat(new CommandLine(new Main()).execute(init.toArray(new String[0]))).isZero();
    JsonObject worldFile = new JsonObject(Files.readString(dir.resolve("cards/world.json")));
    assertThat(worldFile.getInteger("quorum")).isEqualTo(2);
    assertThat(Files.getPosixFilePermissions(dir.resolve("cards/card-1.json"))).containsExactlyInAnyOrder(
        PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    Path node = dir.resolve("node");
    int tooFew = new CommandLine(new Main()).execute("world", "load", "--world", dir.resolve("cards/world.json").toString(),
        "--card", dir.resolve("cards/card-3.json").toString(), "--data-dir", node.toString(),
        "--passphrase-file", "3=" + dir.resolve("pass-3"));
    assertThat(tooFew).isEqualTo(2);
    assertThat(Files.exists(ModuleKeyFile.pathIn(node))).isFalse();

    int ok = new CommandLine(new Main()).execute("world", "load", "--world", dir.resolve("cards/world.json").toString(),
        "--card", dir.resolve("cards/card-3.json").toString(), "--card", dir.resolve("cards/card-1.json").toString(),
        "--data-dir", node.toString(), "--passphrase-file", "3=" + dir.resolve("pass-3"),
        "--passphrase-file", "1=" + dir.resolve("pass-1"));
    assertThat(ok).isZero();
    assertThat(ModuleKeyFile.loadOrCreate(node).worldId()).isEqualTo(worldFile.getString("worldId"));
  }

  @Test
  @DisplayName("a card sealed with other scrypt parameters opens: they are read from the card, within bounds")
  void kdfParametersComeFromTheCard() {
    List<char[]> pass = passphrases(3, "stronger");
    AdminCards.NewWorld world = AdminCards.create(2, pass);
    String worldId = world.key().worldId();
    JsonObject card = world.cards().get(0).copy();
    JsonObject sealed = new JsonObject().put("kdf", card.getJsonObject("kdf")).put("nonce", card.getString("nonce"))
        .put("ciphertext", card.getString("share"));
    byte[] share = PassphraseSeal.open(sealed, pass.get(0), AdminCards.aad(worldId, 1), "card 1");
    JsonObject raised = PassphraseSeal.seal(share, pass.get(0), AdminCards.aad(worldId, 1), 1 << 16, 8, 1);
    card.put("kdf", raised.getJsonObject("kdf")).put("nonce", raised.getString("nonce")).put("share", raised.getString("ciphertext"));
    assertThat(card.getJsonObject("kdf").getInteger("N")).isEqualTo(1 << 16);
    WorldKey rebuilt = AdminCards.rebuild(world.worldFile(),
        List.of(AdminCards.read(card, "card 1"), AdminCards.read(world.cards().get(1), "card 2")), List.of(pass.get(0), pass.get(1)));
    assertThat(rebuilt.worldId()).isEqualTo(worldId);

    JsonObject absurd = card.copy();
    absurd.getJsonObject("kdf").put("N", 1 << 30);
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> AdminCards.rebuild(world.worldFile(),
        List.of(AdminCards.read(absurd, "card 1"), AdminCards.read(world.cards().get(1), "card 2")), List.of(pass.get(0), pass.get(1))))
        .isInstanceOf(WorldException.class).hasMessageContaining("out of bounds");
    assertThat((System.nanoTime() - t0) / 1_000_000).as("refused before deriving anything").isLessThan(5_000);
  }

  @Test
  @DisplayName("card and module passphrases need 12 characters")
  void passphrasesOfTwelve(@TempDir Path dir) {
    List<char[]> shortOnes = List.of("eleven chrs".toCharArray(), "twelve chars".toCharArray(), "twelve chars".toCharArray());
    assertThatThrownBy(() -> AdminCards.create(2, shortOnes)).isInstanceOf(WorldException.class).hasMessageContaining("12");
    WorldKey key = AdminCards.create(2, passphrases(3, "goodness")).key();
    assertThatThrownBy(() -> ModuleKeyFile.write(dir, key, "eleven chrs".toCharArray()))
        .isInstanceOf(WorldException.class).hasMessageContaining("12");
  }
}
