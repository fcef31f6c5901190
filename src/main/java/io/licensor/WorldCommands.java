package io.licensor;

import io.licensor.cli.CliCommand;
import io.licensor.cli.CliException;
import io.licensor.cli.CommandGroup;
import io.licensor.cli.Env;
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

/**
 * {@code licensor world init} and {@code licensor world load}: the security world's admin cards.
 * Card passphrases come from {@code LICENSOR_CARD_PASSPHRASE_<n>}, from {@code --passphrase-file n=PATH},
 * or are asked for on the terminal; they are never taken from the command line itself.
 */
@Command(name = "world", mixinStandardHelpOptions = true, description = {"Security world: create one with its admin cards, or load one onto this module.",
    "Card passphrases: LICENSOR_CARD_PASSPHRASE_<n> (card n), --passphrase-file n=PATH, or asked on the terminal; never on the "
        + "command line. The node's copy of the world key is sealed when LICENSOR_WORLD_MODULE_PASSPHRASE is set (12 characters "
        + "or more)."},
    subcommands = {WorldCommands.Init.class, WorldCommands.Load.class, WorldCommands.Seal.class, WorldCommands.Install.class})
final class WorldCommands extends CommandGroup {

  static char[] passphrase(int card, Map<Integer, Path> files, boolean confirm) throws IOException {
    String env = Env.get("LICENSOR_CARD_PASSPHRASE_" + card);
    if (env != null) {
      return env.toCharArray();
    }
    if (files.containsKey(card)) {
      Path file = files.get(card);
      try {
        return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
      } catch (IOException e) {
        throw new WorldException("cannot read --passphrase-file " + card + "=" + file + " (card " + card + "'s passphrase): "
            + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
      }
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
    String p = Env.get("LICENSOR_WORLD_MODULE_PASSPHRASE");
    return p == null || p.isEmpty() ? null : p.toCharArray();
  }

  /** What became of the module key, for the operator: sealed, or in the clear and what that means. */
  static String sealing(Path dataDir) throws IOException {
    return ModuleKeyFile.isSealed(dataDir)
        ? "module key " + ModuleKeyFile.pathIn(dataDir) + " sealed under LICENSOR_WORLD_MODULE_PASSPHRASE (every start needs it)"
        : "module key " + ModuleKeyFile.pathIn(dataDir) + " kept in the clear: whoever reads it holds every tenant key; a node "
            + "on an external database or in a cluster refuses it. Seal it: LICENSOR_WORLD_MODULE_PASSPHRASE=... licensor world "
            + "seal --data-dir " + dataDir;
  }

  /** The result of a command that left a sealed module key in a data directory. */
  static JsonObject installed(String world, Path dataDir) {
    return new JsonObject().put("worldId", world).put("moduleKey", ModuleKeyFile.pathIn(dataDir).toString()).put("sealed", true);
  }

  static void writePrivate(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  @Command(name = "init", mixinStandardHelpOptions = true, description = {"Make a new world key, its world file and N admin cards (any K rebuild it).",
      "Card passphrases from LICENSOR_CARD_PASSPHRASE_<n>, --passphrase-file n=PATH or the terminal; with --data-dir, the module "
          + "key is sealed under LICENSOR_WORLD_MODULE_PASSPHRASE when set."})
  static final class Init extends CliCommand {

    @Option(names = "--cards", required = true, description = "N: number of admin cards")
    int cards;

    @Option(names = "--quorum", required = true, description = "K: cards needed to rebuild the world")
    int quorum;

    @Option(names = "--out", required = true, description = "directory for world.json and card-<n>.json")
    Path out;

    @Option(names = "--data-dir", description = "also install the world as this node's module key")
    Path dataDir;

    @Option(names = "--passphrase-file", description = "n=PATH: card n's passphrase from a file (else LICENSOR_CARD_PASSPHRASE_<n>, "
        + "else the terminal)")
    Map<Integer, Path> passphraseFiles = Map.of();

    @Option(names = "--force", description = "replace world and card files already in --out (their world can no longer be rebuilt from them)")
    boolean force;

    @Override
    protected int execute() throws Exception {
      try {
        if (quorum < 1 || cards < quorum) {
          throw new WorldException("--quorum K must be at least 1 and at most --cards N");
        }
        if (!force) {
          for (int i = 0; i <= cards; i++) {
            Path existing = out.resolve(i == 0 ? "world.json" : "card-" + i + ".json");
            if (Files.exists(existing)) {
              throw new WorldException(existing + " exists (another world's file or card?): refusing to overwrite it; "
                  + "choose another --out, or add --force");
            }
          }
        }
        if (quorum == 1) {
          progress("licensor: warning: --quorum 1: any one card holder can rebuild the world alone");
        }
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
        JsonObject made = new JsonObject().put("worldId", world.worldFile().getString("worldId")).put("cards", cards)
            .put("quorum", quorum).put("directory", out.toString());
        String text = "world " + made.getString("worldId") + ": " + cards + " admin cards, any " + quorum
            + " rebuild it; files in " + out;
        if (dataDir != null) {
          made.put("moduleKey", ModuleKeyFile.pathIn(dataDir).toString()).put("sealed", ModuleKeyFile.isSealed(dataDir));
          text += "\n" + sealing(dataDir);
        }
        result(made, text);
        return 0;
      } catch (WorldException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      }
    }
  }

  @Command(name = "load", mixinStandardHelpOptions = true, description = {"Rebuild the world key from K admin cards and install it as this node's module key.",
      "Card passphrases from LICENSOR_CARD_PASSPHRASE_<n>, --passphrase-file n=PATH or the terminal; the module key is sealed "
          + "under LICENSOR_WORLD_MODULE_PASSPHRASE when set."})
  static final class Load extends CliCommand {

    @Option(names = "--world", required = true, description = "the world file")
    Path worldFile;

    @Option(names = "--card", required = true, description = "an admin card file (repeat, K times)")
    List<Path> cards;

    @Option(names = "--data-dir", required = true, description = "the node's data directory")
    Path dataDir;

    @Option(names = "--passphrase-file", description = "n=PATH: card n's passphrase from a file (else LICENSOR_CARD_PASSPHRASE_<n>, "
        + "else the terminal)")
    Map<Integer, Path> passphraseFiles = Map.of();

    @Override
    protected int execute() throws Exception {
      try {
        WorldKey key = rebuild(worldFile, cards, passphraseFiles);
        ModuleKeyFile.write(dataDir, key, modulePassphrase());
        key.destroy();
        result(new JsonObject().put("worldId", key.worldId()).put("moduleKey", ModuleKeyFile.pathIn(dataDir).toString())
                .put("sealed", ModuleKeyFile.isSealed(dataDir)),
            "world " + key.worldId() + " loaded into " + ModuleKeyFile.pathIn(dataDir) + "\n" + sealing(dataDir));
        return 0;
      } catch (WorldException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      } catch (DecodeException e) {
        throw new CliException(CliException.USAGE, "a world or card file is not valid JSON");
      }
    }
  }

  @Command(name = "seal", mixinStandardHelpOptions = true,
      description = "Seal this node's module key, kept in the clear, under LICENSOR_WORLD_MODULE_PASSPHRASE (stop the node first).")
  static final class Seal extends CliCommand {

    @Option(names = "--data-dir", required = true, description = "the node's data directory")
    Path dataDir;

    @Override
    protected int execute() throws Exception {
      char[] passphrase = modulePassphrase();
      if (passphrase == null) {
        throw new CliException(CliException.USAGE, "set LICENSOR_WORLD_MODULE_PASSPHRASE (12 characters or more) to the "
            + "passphrase to seal with; every start of the node then needs it");
      }
      try {
        String world = ModuleKeyFile.seal(dataDir, passphrase);
        result(installed(world, dataDir),
            "the module key of world " + world + " in " + ModuleKeyFile.pathIn(dataDir) + " is sealed");
        return 0;
      } catch (WorldException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      } finally {
        Arrays.fill(passphrase, '\0');
      }
    }
  }

  @Command(name = "install", mixinStandardHelpOptions = true,
      description = {"Install a sealed module key (a node's data/world/module.key) into this node's data directory, "
          + "opened with LICENSOR_WORLD_MODULE_PASSPHRASE to prove it whole; nothing changes if the directory holds "
          + "that world already. For a cluster's new nodes (a Kubernetes init container: docs/deployment.md)."})
  static final class Install extends CliCommand {
    @Option(names = "--from", required = true, description = "the sealed module key file")
    Path from;

    @Option(names = "--data-dir", required = true, description = "the node's data directory")
    Path dataDir;

    @Override
    protected int execute() throws Exception {
      char[] passphrase = modulePassphrase();
      if (passphrase == null) {
        throw new CliException(CliException.USAGE, "set LICENSOR_WORLD_MODULE_PASSPHRASE to the passphrase the module key "
            + "is sealed under");
      }
      try {
        String world = ModuleKeyFile.install(from, dataDir, passphrase);
        result(installed(world, dataDir),
            "world " + world + " installed in " + ModuleKeyFile.pathIn(dataDir) + " (sealed)");
        return 0;
      } catch (WorldException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      } catch (java.nio.file.NoSuchFileException e) {
        throw new CliException(CliException.USAGE, "no such file: " + e.getFile());
      } finally {
        Arrays.fill(passphrase, '\0');
      }
    }
  }
}
