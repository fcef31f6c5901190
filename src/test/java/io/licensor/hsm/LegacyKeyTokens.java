package io.licensor.hsm;

import io.licensor.world.WorldKey;
import org.bouncycastle.crypto.engines.AESWrapPadEngine;
import org.bouncycastle.crypto.params.KeyParameter;

import java.util.Arrays;

/**
 * Key tokens as versions before the custody key made them for BYOK keys: format 2, not
 * extractable, wrapped under the world key itself. For the tests of the custody upgrade.
 */
public final class LegacyKeyTokens {

  private LegacyKeyTokens() {
  }

  public static KeyToken byok(WorldKey world, byte[] pkcs8) {
    byte[] worldKey = world.secretBytesForHsm();
    AESWrapPadEngine kwp = new AESWrapPadEngine();
    kwp.init(true, new KeyParameter(worldKey));
    byte[] wrapped = kwp.wrap(pkcs8, 0, pkcs8.length);
    byte[] tag = KeyTokenLayout.hmacSha256(KeyTokenLayout.derive(worldKey, KeyTokenLayout.TAG_KEY_LABEL),
        KeyTokenLayout.tagInput(KeyTokenLayout.FORMAT, (byte) 0, wrapped));
    Arrays.fill(worldKey, (byte) 0);
    return new KeyToken(world.worldId(), KeyTokenLayout.assemble(KeyTokenLayout.FORMAT, (byte) 0, tag, wrapped));
  }
}
