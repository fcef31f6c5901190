package io.licensor.licensing;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.support.Fuzzing;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing of what a licensing request carries: the publishing license (JWE compact)
 * and the recipient's key (a JWK). A bad one must be refused with its problem, and nothing else may
 * escape (no NullPointerException, no StackOverflowError: those would be 500s). Every test run
 * replays the committed corpus (src/test/resources/io/licensor/licensing/LicensingFuzzTestInputs);
 * .ci/fuzz fuzzes for a bounded time.
 */
class LicensingFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void publishingLicense(FuzzedDataProvider data) {
    String compact = data.consumeRemainingAsString();
    try {
      ParsedPublishingLicense parsed = PublishingLicenses.parse(compact);
      assertThat(parsed.tenantId()).isNotBlank();
      assertThat(parsed.version()).isPositive();
    } catch (ProblemException e) {
      assertThat(e.problem()).isEqualTo(Problem.PUBLISHING_LICENSE_INVALID);
    }
  }

  @FuzzTest(maxDuration = "20s")
  void recipientKey(FuzzedDataProvider data) {
    Fuzzing.jsonParsedOr400(data, RecipientKeys::parse);
  }
}
