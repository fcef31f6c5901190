package io.licensor.support;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.licensor.errors.ProblemException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;

import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** What the fuzz targets of parsers that read a decoded JSON value share. */
public final class Fuzzing {

  private Fuzzing() {
  }

  /**
   * Decodes the fuzzer's input as JSON (input that is not JSON never reaches these parsers, so it
   * ends the case) and hands the value to {@code parse}, which must return or refuse with a 400
   * problem: nothing else may escape it.
   */
  public static void jsonParsedOr400(FuzzedDataProvider data, Consumer<Object> parse) {
    Object value;
    try {
      value = Json.decodeValue(data.consumeRemainingAsString());
    } catch (DecodeException e) {
      return;
    }
    try {
      parse.accept(value);
    } catch (ProblemException e) {
      assertThat(e.problem().status()).isEqualTo(400);
    }
  }
}
