package io.licensor.support;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The PKCS#11 token tests use: LICENSOR_TEST_PKCS11_LIBRARY (SoftHSM2 in CI, set up by .ci/run
 * with SOFTHSM2_CONF) and LICENSOR_TEST_PKCS11_PIN. Where there is none, PKCS#11 tests are
 * skipped with the reason shown, unless LICENSOR_REQUIRE_PKCS11=true (CI), where they fail.
 */
public final class Pkcs11Token {

  private Pkcs11Token() {
  }

  public static String library() {
    String lib = System.getenv("LICENSOR_TEST_PKCS11_LIBRARY");
    boolean present = lib != null && !lib.isBlank() && Files.exists(Path.of(lib));
    String reason = "no PKCS#11 token for tests: set LICENSOR_TEST_PKCS11_LIBRARY, LICENSOR_TEST_PKCS11_PIN and "
        + "SOFTHSM2_CONF (see .ci/run); PKCS#11 tests skipped";
    if (!present) {
      if ("true".equals(System.getenv("LICENSOR_REQUIRE_PKCS11"))) {
        throw new IllegalStateException(reason.replace("skipped", "required by LICENSOR_REQUIRE_PKCS11"));
      }
      System.out.println("SKIPPED: " + reason);
      Assumptions.abort(reason);
    }
    return lib;
  }

  public static String pin() {
    String pin = System.getenv("LICENSOR_TEST_PKCS11_PIN");
    SecretLedger.password(pin);
    return pin == null ? "" : pin;
  }
}
