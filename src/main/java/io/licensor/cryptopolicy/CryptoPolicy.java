package io.licensor.cryptopolicy;

import io.licensor.errors.Problem;
import io.licensor.hsm.KeyAlgorithm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The service-wide crypto policy: which key algorithms new key versions may use, and the minimum
 * RSA modulus. Key versions made before a policy was raised keep working (content under them still
 * licenses); the tenant view says whether the active version meets the policy.
 */
public record CryptoPolicy(Set<KeyAlgorithm> allowedAlgorithms, int minRsaBits) {

  public CryptoPolicy {
    allowedAlgorithms = allowedAlgorithms.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(allowedAlgorithms));
  }

  public static CryptoPolicy permissive() {
    return new CryptoPolicy(EnumSet.allOf(KeyAlgorithm.class), 2048);
  }

  public boolean allows(KeyAlgorithm algorithm) {
    return allowedAlgorithms.contains(algorithm) && (!algorithm.isRsa() || algorithm.bits() >= minRsaBits);
  }

  /** The algorithm, or 400 crypto-policy-violation naming what the policy allows. */
  public KeyAlgorithm require(KeyAlgorithm algorithm) {
    if (!allows(algorithm)) {
      throw Problem.CRYPTO_POLICY_VIOLATION.with(algorithm.wireName() + " is not allowed by the crypto policy; allowed: "
          + allowedNow());
    }
    return algorithm;
  }

  /** The algorithms a new key version may use now, in the order of {@link KeyAlgorithm}. */
  public String allowedNow() {
    return Arrays.stream(KeyAlgorithm.values()).filter(this::allows).map(KeyAlgorithm::wireName)
        .collect(Collectors.joining(", "));
  }

  /** Whether this policy is at least as strict as {@code other} (allows nothing {@code other} forbids). */
  public boolean atLeastAsStrictAs(CryptoPolicy other) {
    return Arrays.stream(KeyAlgorithm.values()).noneMatch(a -> allows(a) && !other.allows(a));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("allowedAlgorithms", new JsonArray(Arrays.stream(KeyAlgorithm.values())
            .filter(allowedAlgorithms::contains).map(KeyAlgorithm::wireName).toList()))
        .put("minRsaBits", minRsaBits)
        .put("effective", new JsonArray(Arrays.stream(KeyAlgorithm.values()).filter(this::allows)
            .map(KeyAlgorithm::wireName).toList()));
  }

  /** {@code {allowedAlgorithms: [...], minRsaBits}}; 400 invalid-request naming what is wrong. */
  public static CryptoPolicy parse(Object value, String where) {
    if (!(value instanceof JsonObject json)) {
      throw Problem.INVALID_REQUEST.with(where + " must be an object {allowedAlgorithms, minRsaBits}");
    }
    for (String key : json.fieldNames()) {
      if (!key.equals("allowedAlgorithms") && !key.equals("minRsaBits") && !key.equals("effective")) {
        throw Problem.INVALID_REQUEST.with(where + ": unknown member '" + key + "'");
      }
    }
    if (!(json.getValue("allowedAlgorithms") instanceof JsonArray names) || names.isEmpty() || names.size() > 16) {
      throw Problem.INVALID_REQUEST.with(where + ".allowedAlgorithms must be a non-empty array of " + allNames());
    }
    Set<KeyAlgorithm> allowed = EnumSet.noneOf(KeyAlgorithm.class);
    for (Object name : names) {
      KeyAlgorithm a = name instanceof String s ? KeyAlgorithm.fromWireName(s).orElse(null) : null;
      if (a == null) {
        throw Problem.INVALID_REQUEST.with(where + ".allowedAlgorithms: each must be one of " + allNames());
      }
      allowed.add(a);
    }
    Object bits = json.getValue("minRsaBits", 2048);
    if (!(bits instanceof Integer b) || (b != 2048 && b != 3072 && b != 4096)) {
      throw Problem.INVALID_REQUEST.with(where + ".minRsaBits must be 2048, 3072 or 4096");
    }
    CryptoPolicy policy = new CryptoPolicy(allowed, (Integer) bits);
    if (policy.allowedNow().isEmpty()) {
      throw Problem.INVALID_REQUEST.with(where + " allows no algorithm at all (an RSA minimum above every allowed RSA size, "
          + "and no EC curve)");
    }
    return policy;
  }

  private static String allNames() {
    return Arrays.stream(KeyAlgorithm.values()).map(KeyAlgorithm::wireName).collect(Collectors.joining(", "));
  }
}
