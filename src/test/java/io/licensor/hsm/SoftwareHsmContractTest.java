package io.licensor.hsm;

import org.junit.jupiter.api.DisplayName;

@DisplayName("HSM contract: software HSM")
class SoftwareHsmContractTest extends HsmContract {

  private final SoftwareHsm hsm = new SoftwareHsm(WORLD, 64);
  private final SoftwareHsm other = new SoftwareHsm(WORLD, 64);

  @Override
  Hsm hsm() {
    return hsm;
  }

  @Override
  Hsm sameWorld() {
    return other;
  }
}
