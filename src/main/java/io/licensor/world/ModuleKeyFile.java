package io.licensor.world;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The node's copy of the world key, {@code <dataDir>/world/module.key} (mode 0600, directory
 * 0700): written by {@code world init}/{@code world load}, or with a fresh world on a first start
 * without cards. With a module passphrase ({@code LICENSOR_WORLD_MODULE_PASSPHRASE}) the key is
 * kept sealed (scrypt + AES-256-GCM) and the file alone is useless.
 */
public final class ModuleKeyFile {

  private static final SecureRandom RANDOM = new SecureRandom();

  private ModuleKeyFile() {
  }

  public static Path pathIn(Path dataDir) {
    return dataDir.resolve("world").resolve("module.key");
  }

  /** Loads the module key, creating a new world if the data directory has none. */
  public static WorldKey loadOrCreate(Path dataDir) throws IOException {
    return loadOrCreate(dataDir, null);
  }

  /** As {@link #loadOrCreate(Path)}, the key sealed under {@code passphrase} when one is given. */
  public static WorldKey loadOrCreate(Path dataDir, char[] passphrase) throws IOException {
    Path file = pathIn(dataDir);
    if (Files.exists(file)) {
      return read(file, passphrase);
    }
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    byte[] idBytes = new byte[8];
    RANDOM.nextBytes(idBytes);
    WorldKey world = new WorldKey("w" + HexFormat.of().formatHex(idBytes), key);
    Arrays.fill(key, (byte) 0);
    write(dataDir, world, passphrase, false);
    return world;
  }

  /** Loads the module key of this data directory's world; an IOException if there is none (nothing is created). */
  public static WorldKey load(Path dataDir, char[] passphrase) throws IOException {
    Path file = pathIn(dataDir);
    if (!Files.exists(file)) {
      throw new IOException("no module key file at " + file);
    }
    return read(file, passphrase);
  }

  /**
   * Writes the module key of a world (from {@code world init} or {@code world load}). Refuses to
   * replace a module key of another world: one data directory serves one world.
   */
  public static void write(Path dataDir, WorldKey world) throws IOException {
    write(dataDir, world, null);
  }

  /** As {@link #write(Path, WorldKey)}, sealed under {@code passphrase} when one is given. */
  public static void write(Path dataDir, WorldKey world, char[] passphrase) throws IOException {
    write(dataDir, world, passphrase, true);
  }

  /**
   * As {@link #write(Path, WorldKey, char[])}; {@code adminCards}: whether admin cards can rebuild
   * the world (false for one a first start made by itself: the file records it, and every start
   * warns).
   */
  private static void write(Path dataDir, WorldKey world, char[] passphrase, boolean adminCards) throws IOException {
    if (passphrase != null && passphrase.length < AdminCards.MIN_PASSPHRASE) {
      throw new WorldException("the module passphrase must have at least " + AdminCards.MIN_PASSPHRASE + " characters");
    }
    Path file = pathIn(dataDir);
    if (Files.exists(file)) {
      WorldKey existing = read(file, passphrase);
      if (!existing.worldId().equals(world.worldId())) {
        throw new WorldException("the data directory already holds world " + existing.worldId()
            + "; refusing to replace it with world " + world.worldId());
      }
      return;
    }
    Path dir = file.getParent();
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    String worldId = world.worldId();
    byte[] key = world.secretBytesForHsm();
    JsonObject json = new JsonObject()
        .put("format", "licensor-module-key/1")
        .put("worldId", worldId)
        .put("createdAt", Instant.now().toString());
    if (!adminCards) {
      json.put("adminCards", false);
    }
    if (passphrase == null) {
      json.put("key", Base64.getEncoder().encodeToString(key));
    } else {
      json.put("sealed", PassphraseSeal.seal(key, passphrase, aad(worldId)));
    }
    Path tmp = dir.resolve("module.key.tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, json.encodePrettily(), StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    Arrays.fill(key, (byte) 0);
  }

  /**
   * Installs a sealed module key file made on another node (or by {@code world load} elsewhere)
   * into {@code dataDir}: opened with {@code passphrase} to prove it whole, then written sealed
   * under it (0600). Nothing changes if the directory holds that world already; another world is
   * refused. Returns the world id.
   */
  public static String install(Path sealedFile, Path dataDir, char[] passphrase) throws IOException {
    if (passphrase == null || passphrase.length < AdminCards.MIN_PASSPHRASE) {
      throw new WorldException("the module passphrase must have at least " + AdminCards.MIN_PASSPHRASE + " characters");
    }
    try {
      if (!new JsonObject(Files.readString(sealedFile, StandardCharsets.UTF_8)).containsKey("sealed")) {
        throw new WorldException(sealedFile + " holds a module key in the clear: install only a sealed one "
            + "(licensor world seal)");
      }
    } catch (io.vertx.core.json.DecodeException e) {
      throw new WorldException(sealedFile + " is not a module key file");
    }
    WorldKey key = read(sealedFile, passphrase);
    try {
      write(dataDir, key, passphrase);
      return key.worldId();
    } finally {
      key.destroy();
    }
  }

  /**
   * Whether admin cards can rebuild this data directory's world: false for a world a first start
   * made by itself (no {@code world init}), which nothing rebuilds if the directory is lost.
   */
  public static boolean hasAdminCards(Path dataDir) throws IOException {
    Path file = pathIn(dataDir);
    if (!Files.exists(file)) {
      return false;
    }
    try {
      return new JsonObject(Files.readString(file, StandardCharsets.UTF_8)).getBoolean("adminCards", true);
    } catch (RuntimeException e) {
      throw new IOException("module key file " + file + " is not valid JSON");
    }
  }

  /** Whether the data directory's module key is sealed under a passphrase (false: in the clear, or none). */
  public static boolean isSealed(Path dataDir) throws IOException {
    Path file = pathIn(dataDir);
    if (!Files.exists(file)) {
      return false;
    }
    try {
      return new JsonObject(Files.readString(file, StandardCharsets.UTF_8)).containsKey("sealed");
    } catch (RuntimeException e) {
      throw new IOException("module key file " + file + " is not valid JSON");
    }
  }

  /**
   * Seals a module key kept in the clear under {@code passphrase} (12 characters or more), in place
   * (written to a new file, then moved over the old one). Refuses a key that is already sealed.
   */
  public static String seal(Path dataDir, char[] passphrase) throws IOException {
    if (passphrase == null || passphrase.length < AdminCards.MIN_PASSPHRASE) {
      throw new WorldException("the module passphrase must have at least " + AdminCards.MIN_PASSPHRASE + " characters");
    }
    if (isSealed(dataDir)) {
      throw new WorldException("the module key under " + dataDir + " is sealed already");
    }
    WorldKey world = load(dataDir, null);
    boolean cards = hasAdminCards(dataDir);
    try {
      Path file = pathIn(dataDir);
      Path aside = file.resolveSibling("module.key.unsealed");
      Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
      try {
        write(dataDir, world, passphrase, cards);
      } catch (IOException | RuntimeException e) {
        Files.move(aside, file, StandardCopyOption.ATOMIC_MOVE);
        throw e;
      }
      // the old file held the key in the clear: overwrite it before it goes
      long size = Files.size(aside);
      Files.write(aside, new byte[(int) size], StandardOpenOption.TRUNCATE_EXISTING);
      Files.delete(aside);
      return world.worldId();
    } finally {
      world.destroy();
    }
  }

  private static byte[] aad(String worldId) {
    return ("licensor-module-key|" + worldId).getBytes(StandardCharsets.UTF_8);
  }

  private static WorldKey read(Path file, char[] passphrase) throws IOException {
    JsonObject json;
    try {
      json = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new IOException("module key file " + file + " is not valid JSON");
    }
    String worldId = json.getString("worldId");
    String key = json.getString("key");
    JsonObject sealed = json.getJsonObject("sealed");
    if (worldId == null || (key == null && sealed == null)) {
      throw new IOException("module key file " + file + " lacks worldId or key");
    }
    byte[] bytes;
    if (sealed != null) {
      if (passphrase == null) {
        throw new WorldException("the module key of world " + worldId + " is sealed: set LICENSOR_WORLD_MODULE_PASSPHRASE");
      }
      bytes = PassphraseSeal.open(sealed, passphrase, aad(worldId), "the module key (LICENSOR_WORLD_MODULE_PASSPHRASE)");
    } else {
      bytes = Base64.getDecoder().decode(key);
    }
    try {
      return new WorldKey(worldId, bytes);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }
}
