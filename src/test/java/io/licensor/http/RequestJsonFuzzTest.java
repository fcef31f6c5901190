package io.licensor.http;

import io.licensor.json.StrictJson;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.vertx.core.buffer.Buffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing of the request-body checks: any bytes either pass (and then Vert.x reads
 * them as JSON, as the routes will) or are 400 malformed-json; nothing else escapes.
 */
class RequestJsonFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void requestBody(FuzzedDataProvider data) {
    byte[] body = data.consumeRemainingAsBytes();
    try {
      StrictJson.check(body);
    } catch (ProblemException e) {
      assertThat(e.problem()).isEqualTo(Problem.MALFORMED_JSON);
      return;
    }
    // what passed the checks is one JSON value, which Vert.x reads as the routes will
    Buffer.buffer(body).toJsonValue();
  }
}
