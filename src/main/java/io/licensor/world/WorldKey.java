package io.licensor.world;

import java.util.Arrays;

/**
 * The security world's AES-256 key, under which every private key is kept as a key token. Handed
 * to the HSM implementation at start-up and, in a cluster, to {@code ClusterTls} to derive the
 * event-bus CA key; to nothing else. {@link #toString()} never shows it.
 */
public final class WorldKey {

  private final String worldId;
  private final byte[] key;

  public WorldKey(String worldId, byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("a world key is 32 bytes");
    }
    this.worldId = worldId;
    this.key = key.clone();
  }

  public String worldId() {
    return worldId;
  }

  /** A copy of the raw key, for an HSM implementation to keep. The caller zeroes it when done. */
  public byte[] secretBytesForHsm() {
    return key.clone();
  }

  /** Zeroes this copy of the key. */
  public void destroy() {
    Arrays.fill(key, (byte) 0);
  }

  @Override
  public String toString() {
    return "WorldKey[" + worldId + "]";
  }
}
