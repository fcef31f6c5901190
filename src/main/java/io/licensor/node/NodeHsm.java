package io.licensor.node;

import io.licensor.config.ConfigException;
import io.licensor.config.LicensorConfig;
import io.licensor.hsm.Hsm;
import io.licensor.hsm.HsmException;
import io.licensor.hsm.Pkcs11Hsm;
import io.licensor.hsm.SoftwareCrypto;
import io.licensor.hsm.SoftwareHsm;
import io.licensor.tls.ClusterTls;
import io.licensor.world.ModuleKeyFile;
import io.licensor.world.WorldKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;

/**
 * The node's HSM, opened with its security world before anything else starts (the clustered
 * event bus's TLS comes from the world). Where the world comes from:
 * <ul>
 *   <li>the module key file of the data directory, made on the first start (software HSM, and a
 *   PKCS#11 token's first start, which enrols the world on the token);</li>
 *   <li>on PKCS#11 with {@code world.id} set and no module key in the data directory, the token
 *   alone: the world's keys were put there by an earlier start, the module key file is kept off
 *   the node (with the admin cards, as the world's backup), and nothing on this node's disks
 *   holds the world.</li>
 * </ul>
 * Blocks (a file, scrypt, opening a token): called on a thread of its own.
 */
record NodeHsm(Hsm hsm, String worldId, Custody custody, boolean adminCards) {

  private static final Logger LOG = LoggerFactory.getLogger(NodeHsm.class);

  /** Where the world is kept at rest on this node. */
  enum Custody {
    /** The module key file, in the clear. */
    CLEAR_FILE("clear-file"),
    /** The module key file, sealed under the module passphrase. */
    SEALED_FILE("sealed-file"),
    /** Only on the PKCS#11 token: no module key on this node. */
    TOKEN("token");

    private final String wireName;

    Custody(String wireName) {
      this.wireName = wireName;
    }

    String wireName() {
      return wireName;
    }
  }

  static NodeHsm open(LicensorConfig config) throws IOException {
    try {
      return openHsm(config);
    } catch (HsmException e) {
      // a library, slot or PIN that does not work is a configuration error naming its setting (exit 2)
      if (e.reason() == HsmException.Reason.MISCONFIGURED) {
        throw new ConfigException(e.getMessage());
      }
      throw e;
    }
  }

  private static NodeHsm openHsm(LicensorConfig config) throws IOException {
    boolean pkcs11 = "pkcs11".equals(config.hsmType());
    String configured = config.worldId();
    if (pkcs11 && configured != null && !Files.exists(ModuleKeyFile.pathIn(config.dataDir()))) {
      Hsm hsm = new Pkcs11Hsm(config.pkcs11Library(), config.pkcs11SlotListIndex(), config.pkcs11Pin(), configured,
          config.hsmSessions() + 1, config.hsmKeyCacheSize());
      LOG.info("security world {} from the PKCS#11 token alone (no module key on this node)", configured);
      return new NodeHsm(hsm, configured, Custody.TOKEN, true);
    }
    boolean existed = Files.exists(ModuleKeyFile.pathIn(config.dataDir()));
    WorldKey world = worldOf(config);
    try {
      if (configured != null && !configured.equals(world.worldId())) {
        throw new ConfigException("world.id: this node is set to serve world " + configured + ", but the module key "
            + ModuleKeyFile.pathIn(config.dataDir()) + " is of world " + world.worldId());
      }
      Custody custody = ModuleKeyFile.isSealed(config.dataDir()) ? Custody.SEALED_FILE : Custody.CLEAR_FILE;
      Hsm hsm = pkcs11
          ? new Pkcs11Hsm(config.pkcs11Library(), config.pkcs11SlotListIndex(), config.pkcs11Pin(), config.pkcs11SoPin(), world,
              config.hsmSessions() + 1, config.hsmKeyCacheSize())
          : softwareHsm(world, config);
      boolean cards = ModuleKeyFile.hasAdminCards(config.dataDir());
      String sealing = custody == Custody.SEALED_FILE ? "sealed" : "in the clear";
      if (!existed) {
        LOG.info("security world {} created by this first start in {} ({})", world.worldId(),
            ModuleKeyFile.pathIn(config.dataDir()), sealing);
      } else {
        LOG.info("security world {} loaded from {} ({})", world.worldId(), ModuleKeyFile.pathIn(config.dataDir()), sealing);
      }
      if (!cards) {
        LOG.warn("security world {} has no admin cards (no licensor world init before the first start): if {} is lost, "
            + "every tenant key is lost with it. For tenants you keep, make the world first: licensor world init --cards N "
            + "--quorum K --out DIR --data-dir DATA_DIR on a new data directory (docs/operations.md)", world.worldId(),
            config.dataDir());
      }
      if (pkcs11) {
        LOG.warn("the PKCS#11 token holds security world {} now; its module key {} is needed on this node no longer. Keep it "
            + "off the node, with the admin cards, as the world's backup, and set world.id={} (LICENSOR_WORLD_ID): then "
            + "nothing on this node's disks holds the world", world.worldId(), ModuleKeyFile.pathIn(config.dataDir()),
            world.worldId());
      }
      return new NodeHsm(hsm, world.worldId(), custody, cards);
    } finally {
      world.destroy();
    }
  }

  /** The provider {@code hsm.software.provider} names (checked once per process; see {@link SoftwareCrypto}). */
  static SoftwareCrypto softwareCrypto(LicensorConfig config) {
    try {
      return SoftwareCrypto.choose(SoftwareCrypto.Choice.of(config.softwareHsmProvider()));
    } catch (IllegalStateException e) {
      throw new ConfigException("hsm.software.provider: native: " + e.getMessage());
    }
  }

  private static SoftwareHsm softwareHsm(WorldKey world, LicensorConfig config) {
    SoftwareCrypto crypto = softwareCrypto(config);
    LOG.info("software HSM: key operations on {}", crypto.description());
    return new SoftwareHsm(world, config.hsmKeyCacheSize(), crypto);
  }

  /**
   * The data directory's world, made on first start (blocks: a file, scrypt with a passphrase). A
   * module key in the clear is accepted for the embedded default (with a warning at every start);
   * a node on an external database or in a cluster — one that holds other people's keys — refuses
   * it unless {@code world.allowUnsealed} says so.
   */
  static WorldKey worldOf(LicensorConfig config) throws IOException {
    Files.createDirectories(config.dataDir());
    WorldKey world = ModuleKeyFile.loadOrCreate(config.dataDir(), config.modulePassphrase());
    if (!ModuleKeyFile.isSealed(config.dataDir())) {
      boolean shared = config.databaseUrl() != null || config.clusterEnabled();
      if (shared && !config.allowUnsealedWorld()) {
        world.destroy();
        throw new ConfigException("world.allowUnsealed: the module key " + ModuleKeyFile.pathIn(config.dataDir())
            + " is kept in the clear, and this node " + (config.clusterEnabled() ? "is in a cluster" : "uses an external database")
            + ": whoever reads that file holds every tenant key. Seal it (LICENSOR_WORLD_MODULE_PASSPHRASE=... licensor world seal"
            + " --data-dir " + config.dataDir() + "), or set world.allowUnsealed=true to accept the risk");
      }
      LOG.warn("the module key {} is kept in the clear (no module passphrase): anyone who can read it holds every tenant "
          + "key. Seal it: LICENSOR_WORLD_MODULE_PASSPHRASE=... licensor world seal --data-dir {}",
          ModuleKeyFile.pathIn(config.dataDir()), config.dataDir());
    }
    return world;
  }

  /**
   * The secret every node of the world derives the event-bus CA from: a MAC of the world's own,
   * made inside the HSM, so a node whose world is on a token alone derives it as one with the
   * module key does. Blocks on the HSM.
   */
  byte[] eventBusSecret() {
    return hsm.worldMac(ClusterTls.SECRET_LABEL);
  }

  /** Whether no module key in the clear is on this node's disks. */
  boolean sealedAtRest() {
    return custody != Custody.CLEAR_FILE;
  }
}
