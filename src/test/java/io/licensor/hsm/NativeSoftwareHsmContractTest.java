package io.licensor.hsm;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HSM contract on the native provider (the default where the platform has it: Linux x86-64,
 * the only platform whose build of it the project ships). Its keys, tokens and signatures are
 * checked by the contract against the JDK's verifiers and against a software HSM of the same world.
 */
@DisplayName("HSM contract: software HSM on the native provider")
@EnabledOnOs(value = OS.LINUX, architectures = "amd64")
class NativeSoftwareHsmContractTest extends HsmContract {

  private static final SoftwareCrypto NATIVE = SoftwareCrypto.nativeProvider();
  private final SoftwareHsm hsm = new SoftwareHsm(WORLD, 64, NATIVE);
  /** The same world on the JDK's providers: key tokens made by one load in the other. */
  private final SoftwareHsm other = new SoftwareHsm(WORLD, 64, SoftwareCrypto.jdk());

  @Override
  Hsm hsm() {
    return hsm;
  }

  @Override
  Hsm sameWorld() {
    return other;
  }

  @Test
  @DisplayName("the native provider is the one in use, and auto picks it")
  void nativeInUse() {
    assertThat(hsm.crypto().nativeCode()).isTrue();
    assertThat(hsm.crypto().description()).contains("AWS-LC");
    assertThat(SoftwareCrypto.choose(SoftwareCrypto.Choice.AUTO).nativeCode()).isTrue();
  }
}
