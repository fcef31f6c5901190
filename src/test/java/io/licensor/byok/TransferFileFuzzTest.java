package io.licensor.byok;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.licensor.support.Fuzzing;

import static org.assertj.core.api.Assertions.assertThat;

/** Coverage-guided fuzzing of the BYOK transfer file's parser: a bad file is 400 with a problem, nothing else. */
class TransferFileFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void transferFile(FuzzedDataProvider data) {
    Fuzzing.jsonParsedOr400(data, value -> assertThat(TransferFile.parse(value)).isNotNull());
  }
}
