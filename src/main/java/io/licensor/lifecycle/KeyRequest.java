package io.licensor.lifecycle;

import io.licensor.byok.ByokService;
import io.licensor.cryptopolicy.CryptoPolicyStore;
import io.licensor.errors.Problem;
import io.licensor.hsm.GeneratedKey;
import io.licensor.hsm.HsmClient;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.keys.KeyOrigin;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What kind of key version to make: {@code {origin, algorithm, byok?}}, as in tenant creation and re-key. */
record KeyRequest(KeyOrigin origin, KeyAlgorithm algorithm, JsonObject byok) {

  /**
   * The key pair this request asks for, if the crypto policy allows its algorithm (else 400
   * crypto-policy-violation, and nothing is generated or imported): generated in the HSM, or
   * imported from the BYOK transfer file.
   */
  Future<GeneratedKey> make(String tenantId, HsmClient hsm, ByokService byokService, CryptoPolicyStore policies) {
    return policies.current().map(p -> p.require(algorithm)).compose(a -> origin == KeyOrigin.BYOK
        ? byokService.importKey(tenantId, algorithm, byok) : hsm.generate(algorithm));
  }

  static KeyRequest parse(Object value, String where) {
    if (!(value instanceof JsonObject key)) {
      throw Problem.INVALID_REQUEST.with(where + " must be an object {origin, algorithm}");
    }
    Object originName = key.getValue("origin", "service");
    KeyOrigin origin = originName instanceof String s ? KeyOrigin.fromWireName(s).orElse(null) : null;
    if (origin == null) {
      throw Problem.INVALID_REQUEST.with(where + ".origin must be service or byok");
    }
    Object algorithmName = key.getValue("algorithm");
    KeyAlgorithm algorithm = algorithmName instanceof String s ? KeyAlgorithm.fromWireName(s).orElse(null) : null;
    if (algorithm == null) {
      throw Problem.INVALID_REQUEST.with(where + ".algorithm must be one of " + Arrays.stream(KeyAlgorithm.values())
          .map(KeyAlgorithm::wireName).collect(Collectors.joining(", ")));
    }
    if (origin == KeyOrigin.BYOK && !(key.getValue("byok") instanceof JsonObject)) {
      throw Problem.INVALID_REQUEST.with(where + ".byok is required with origin byok: the transfer file");
    }
    return new KeyRequest(origin, algorithm, key.getJsonObject("byok"));
  }
}
