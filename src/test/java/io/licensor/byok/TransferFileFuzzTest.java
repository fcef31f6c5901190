package io.licensor.byok;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.licensor.errors.ProblemException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;

import static org.assertj.core.api.Assertions.assertThat;

/** Coverage-guided fuzzing of the BYOK transfer file's parser: a bad file is 400 with a problem, nothing else. */
class TransferFileFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void transferFile(FuzzedDataProvider data) {
    Object value;
    try {
      value = Json.decodeValue(data.consumeRemainingAsString());
    } catch (DecodeException e) {
      return;
    }
    try {
      TransferFile file = TransferFile.parse(value);
      assertThat(file).isNotNull();
    } catch (ProblemException e) {
      assertThat(e.problem().status()).isEqualTo(400);
    }
  }
}
