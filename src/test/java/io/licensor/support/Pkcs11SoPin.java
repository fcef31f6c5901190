package io.licensor.support;

import org.junit.jupiter.api.Assumptions;

/**
 * The test token's SO PIN (LICENSOR_TEST_PKCS11_SO_PIN, set by .ci/run), for the tests that enrol a
 * world with trusted wrapping keys. Without it those tests are skipped with the reason, unless
 * LICENSOR_REQUIRE_PKCS11=true (CI), where they fail.
 */
public final class Pkcs11SoPin {

  private Pkcs11SoPin() {
  }

  public static char[] get() {
    String pin = System.getenv("LICENSOR_TEST_PKCS11_SO_PIN");
    if (pin == null || pin.isEmpty()) {
      String reason = "no SO PIN for the test token: set LICENSOR_TEST_PKCS11_SO_PIN (see .ci/run)";
      if ("true".equals(System.getenv("LICENSOR_REQUIRE_PKCS11"))) {
        throw new IllegalStateException(reason + "; required by LICENSOR_REQUIRE_PKCS11");
      }
      Assumptions.abort(reason + "; trusted-wrapping tests skipped");
    }
    SecretLedger.password(pin);
    return pin.toCharArray();
  }
}
