package io.licensor.http;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** The node's readiness checks (database, HSM, security world), run for {@code /health/ready}. */
@FunctionalInterface
public interface Readiness {
  /** Completes with {@code {status, checks:{name:{status, ...}}}}; never fails. */
  Future<JsonObject> check();
}
