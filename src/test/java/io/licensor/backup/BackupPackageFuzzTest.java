package io.licensor.backup;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing of a backup package's content (what restore reads once the package's MAC
 * has been checked): malformed content is 400 backup-invalid, and nothing escapes the parser.
 */
class BackupPackageFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void backupPackage(FuzzedDataProvider data) {
    JsonObject pkg;
    try {
      pkg = new JsonObject(data.consumeRemainingAsString());
    } catch (DecodeException | ClassCastException e) {
      return;
    }
    Future<BackupService.Parsed> parsed = BackupService.parse(pkg);
    assertThat(parsed.isComplete()).isTrue();
    if (parsed.failed()) {
      assertThat(parsed.cause()).isInstanceOf(ProblemException.class);
      assertThat(((ProblemException) parsed.cause()).problem()).isEqualTo(Problem.BACKUP_INVALID);
    }
  }
}
