package io.licensor.keys;

import com.nimbusds.jose.jwk.JWK;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.KeyRef;
import io.licensor.hsm.KeyToken;

import java.time.Instant;

/**
 * One version of a tenant key: public data plus the key token (null once destroyed). The kid,
 * {@code tenantId:version}, travels in every publishing and use license.
 */
public record KeyVersion(String tenantId, int version, KeyVersionState state, KeyAlgorithm algorithm,
                         KeyOrigin origin, JWK publicJwk, KeyToken token, Instant createdAt) {

  public static String kid(String tenantId, int version) {
    return tenantId + ":" + version;
  }

  public String kid() {
    return kid(tenantId, version);
  }

  /** The version number a kid names ({@code tenantId:version}), or 0 if it names none. */
  public static int versionOf(String kid) {
    int colon = kid == null ? -1 : kid.lastIndexOf(':');
    try {
      return colon < 0 ? 0 : Integer.parseInt(kid.substring(colon + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** What the HSM needs to use this version's private key. */
  public KeyRef keyRef() {
    if (token == null) {
      throw new IllegalStateException("key version " + kid() + " has no key token");
    }
    return new KeyRef(kid(), algorithm, token);
  }
}
