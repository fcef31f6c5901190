package io.licensor;

import io.licensor.cli.CommandGroup;
import io.licensor.world.AdminCards;
import io.licensor.world.ModuleKeyFile;
import io.licensor.world.WorldException;
import io.licensor.world.WorldKey;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code licensor world init} and {@code licensor world load}: the security world's admin cards.
 * Card passphrases come from {@code LICENSOR_CARD_PASSPHRASE_<n>}, from {@code --passphrase-file n=PATH},
 * or are asked for on the terminal; they are never taken from the command line itself.
 */
@Command(name = "world", mixinStandardHelpOptions = true, description = "Security world: create one with its admin cards, or load one onto this module.",
    subcommands = {WorldCommands.Init.class, WorldCommands.Load.class, WorldCommands.Seal.class})
final class WorldCommands extends CommandGroup {

  static char[] passphrase(int card, Map<Integer, Path> files, boolean confirm) throws IOException {
    String env = System.getenv("LICENSOR_CARD_PASSPHRASE_" + card);
    if (env != null) {
      return env.toCharArray();
    }
    if (files.containsKey(card)) {
      return Files.readString(files.get(card), StandardCharsets.UTF_8).strip().toCharArray();
    }
    Console console = System.console();
    if (console == null) {
      throw new WorldException("no passphrase for card " + card + ": set LICENSOR_CARD_PASSPHRASE_" + card
          + " or --passphrase-file " + card + "=PATH");
    }
    char[] p = console.readPassword("Passphrase for admin card %d: ", card);
    if (confirm && !Arrays.equals(p, console.readPassword("Again: "))) {
      throw new WorldException("the passphrases for card " + card + " differ");
    }
    return p;
  }

  /** Reads a world file and K card files, asks for each card's passphrase, and rebuilds the world key. */
  static WorldKey rebuild(Path worldFile, List<Path> cardFiles, Map<Integer, Path> passphraseFiles) throws IOException {
    JsonObject world = new JsonObject(Files.readString(worldFile));
    List<AdminCards.Card> read = new ArrayList<>();
    List<char[]> passphrases = new ArrayList<>();
    try {
      for (Path f : cardFiles) {
        AdminCards.Card card = AdminCards.read(new JsonObject(Files.readString(f)), f.toString());
        read.add(card);
        passphrases.add(passphrase(card.index(), passphraseFiles, false));
      }
      return AdminCards.rebuild(world, read, passphrases);
    } finally {
      passphrases.forEach(p -> Arrays.fill(p, '\0'));
    }
  }

  /** The module key file's passphrase, if the node seals it. */
  static char[] modulePassphrase() {
    String p = System.getenv("LICENSOR_WORLD_MODULE_PASSPHRASE");
    return p == null || p.isEmpty() ? null : p.toCharArray();
  }

  static void writePrivate(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  @Command(name = "init", mixinStandardHelpOptions = true, description = "Make a new world key, its world file and N admin cards (any K rebuild it).")
  static final class Init implements Callable<Integer> {
    @Option(names = "--cards", required = true, description = "N: number of admin cards")
    int cards;

    @Option(names = "--quorum", required = true, description = "K: cards needed to rebuild the world")
    int quorum;

    @Option(names = "--out", required = true, description = "directory for world.json and card-<n>.json")
    Path out;

    @Option(names = "--data-dir", description = "also install the world as this node's module key")
    Path dataDir;

    @Option(names = "--passphrase-file", description = "n=PATH: card n's passphrase from a file")
    Map<Integer, Path> passphraseFiles = Map.of();

    @Override
    public Integer call() throws Exception {
      try {
        List<char[]> passphrases = new ArrayList<>();
        for (int i = 1; i <= cards; i++) {
          passphrases.add(passphrase(i, passphraseFiles, true));
        }
        AdminCards.NewWorld world = AdminCards.create(quorum, passphrases);
        Files.createDirectories(out);
        if (dataDir != null) {
          ModuleKeyFile.write(dataDir, world.key(), modulePassphrase());
        }
        Files.writeString(out.resolve("world.json"), world.worldFile().encodePrettily());
        for (JsonObject card : world.cards()) {
          writePrivate(out.resolve("card-" + card.getInteger("index") + ".json"), card.encodePrettily());
        }
        world.key().destroy();
        passphrases.forEach(p -> Arrays.fill(p, '\0'));
        System.out.println("world " + world.worldFile().getString("worldId") + ": " + cards + " admin cards, any "
            + quorum + " rebuild it; files in " + out);
        return 0;
      } catch (WorldException e) {
        System.err.println("licensor: " + e.getMessage());
        return 2;
      }
    }
  }

  @Command(name = "load", mixinStandardHelpOptions = true, description = "Rebuild the world key from K admin cards and install it as this node's module key.")
  static final class Load implements Callable<Integer> {
    @Option(names = "--world", required = true, description = "the world file")
    Path worldFile;

    @Option(names = "--card", required = true, description = "an admin card file (repeat, K times)")
    List<Path> cards;

    @Option(names = "--data-dir", required = true, description = "the node's data directory")
    Path dataDir;

    @Option(names = "--passphrase-file", description = "n=PATH: card n's passphrase from a file")
    Map<Integer, Path> passphraseFiles = Map.of();

    @Override
    public Integer call() throws Exception {
      try {
        WorldKey key = rebuild(worldFile, cards, passphraseFiles);
        ModuleKeyFile.write(dataDir, key, modulePassphrase());
        key.destroy();
        System.out.println("world " + key.worldId() + " loaded into " + ModuleKeyFile.pathIn(dataDir));
        return 0;
      } catch (WorldException e) {
        System.err.println("licensor: " + e.getMessage());
        return 2;
      } catch (DecodeException e) {
        System.err.println("licensor: a world or card file is not valid JSON");
        return 2;
      }
    }
  }

  @Command(name = "seal", mixinStandardHelpOptions = true,
      description = "Seal this node's module key, kept in the clear, under LICENSOR_WORLD_MODULE_PASSPHRASE (stop the node first).")
  static final class Seal implements Callable<Integer> {
    @Option(names = "--data-dir", required = true, description = "the node's data directory")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
      char[] passphrase = modulePassphrase();
      if (passphrase == null) {
        System.err.println("licensor: set LICENSOR_WORLD_MODULE_PASSPHRASE (12 characters or more) to the passphrase to seal with; "
            + "every start of the node then needs it");
        return 2;
      }
      try {
        String world = ModuleKeyFile.seal(dataDir, passphrase);
        System.out.println("the module key of world " + world + " in " + ModuleKeyFile.pathIn(dataDir) + " is sealed");
        return 0;
      } catch (WorldException e) {
        System.err.println("licensor: " + e.getMessage());
        return 2;
      } finally {
        Arrays.fill(passphrase, '\0');
      }
    }
  }
}
