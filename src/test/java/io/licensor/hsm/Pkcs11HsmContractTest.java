package io.licensor.hsm;

import io.licensor.support.Pkcs11Token;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The same contract on a real PKCS#11 token (SoftHSM2); the other module of the world is the software HSM. */
@DisplayName("HSM contract: PKCS#11 HSM (SoftHSM2)")
class Pkcs11HsmContractTest extends HsmContract {

  private static Pkcs11Hsm hsm;
  private static final SoftwareHsm SOFTWARE = new SoftwareHsm(WORLD, 64);

  /** Opened on first use, so that without a token each test is reported skipped, with the reason. */
  private static synchronized Pkcs11Hsm open() {
    if (hsm == null) {
      hsm = new Pkcs11Hsm(Pkcs11Token.library(), 0, Pkcs11Token.pin().toCharArray(), WORLD, 2, 64);
    }
    return hsm;
  }

  @AfterAll
  static void close() {
    if (hsm != null) {
      hsm.close();
    }
  }

  @Test
  @DisplayName("sessions closed under it are reopened; the same key tokens go on working")
  void reopensLostSessions() throws Exception {
    Pkcs11Hsm h = open();
    GeneratedKey key = h.generate(KeyAlgorithm.EC_P256);
    KeyRef ref = new KeyRef("reopen:1", KeyAlgorithm.EC_P256, key.token());
    byte[] data = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0".getBytes();
    assertThat(verifies(KeyAlgorithm.EC_P256, key.publicKey(), data, h.sign(ref, data))).isTrue();

    // the fault: every session of the token closed under it, and with them the world key's session
    // objects (SoftHSM2 numbers sessions from 1; the wrapper has no C_CloseAllSessions)
    PKCS11 p11 = PKCS11.getInstance(Pkcs11Token.library(), "C_GetFunctionList", null, true);
    int closed = 0;
    for (long handle = 1; handle <= 4096; handle++) {
      try {
        p11.C_CloseSession(handle);
        closed++;
      } catch (PKCS11Exception e) {
        // not a session
      }
    }
    assertThat(closed).isPositive();

    assertThat(verifies(KeyAlgorithm.EC_P256, key.publicKey(), data, h.sign(ref, data))).as("after the sessions were lost").isTrue();
    assertThat(h.load(ref)).isEqualTo(key.publicKey());
    GeneratedKey after = h.generate(KeyAlgorithm.EC_P256);
    KeyRef afterRef = new KeyRef("reopen:2", KeyAlgorithm.EC_P256, after.token());
    assertThat(verifies(KeyAlgorithm.EC_P256, after.publicKey(), data, h.sign(afterRef, data))).isTrue();
    // a key token it did not make is still refused (reopening changed nothing of the world)
    assertThatThrownBy(() -> h.sign(new KeyRef("reopen:3", KeyAlgorithm.EC_P256,
        new KeyToken(WORLD.worldId(), new byte[key.token().wrapped().length])), data)).isInstanceOf(HsmException.class);
  }

  @Override
  Hsm hsm() {
    return open();
  }

  @Override
  Hsm sameWorld() {
    return SOFTWARE;
  }
}
