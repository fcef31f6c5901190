package io.licensor.support;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

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

  private static final String REASON = "no PKCS#11 token for tests: set LICENSOR_TEST_PKCS11_LIBRARY, "
      + "LICENSOR_TEST_PKCS11_PIN and SOFTHSM2_CONF (see .ci/run); PKCS#11 tests skipped";

  /**
   * For a class whose {@code @BeforeAll} starts a node: in the pkcs11 execution
   * ({@code LICENSOR_TEST_HSM=pkcs11}) with no token, each of its tests is reported skipped with the
   * reason, instead of the class vanishing from the report (an aborted {@code @BeforeAll} counts no
   * test). With {@code LICENSOR_REQUIRE_PKCS11=true} the tests run, and fail on the missing token.
   */
  public static final class SkipWithoutToken implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      boolean skip = "pkcs11".equals(System.getenv("LICENSOR_TEST_HSM")) && !present()
          && !"true".equals(System.getenv("LICENSOR_REQUIRE_PKCS11"));
      return skip ? ConditionEvaluationResult.disabled(REASON) : ConditionEvaluationResult.enabled("a token, or the software HSM");
    }
  }

  private static boolean present() {
    String lib = System.getenv("LICENSOR_TEST_PKCS11_LIBRARY");
    return lib != null && !lib.isBlank() && Files.exists(Path.of(lib));
  }

  public static String library() {
    String lib = System.getenv("LICENSOR_TEST_PKCS11_LIBRARY");
    String reason = REASON;
    if (!present()) {
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
