package io.licensor.hsm;

import io.licensor.support.Pkcs11Token;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;

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

  @Override
  Hsm hsm() {
    return open();
  }

  @Override
  Hsm sameWorld() {
    return SOFTWARE;
  }
}
