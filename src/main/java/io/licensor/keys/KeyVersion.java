package io.licensor.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.KeyRef;
import io.licensor.hsm.KeyToken;
import io.licensor.ids.Kid;

import java.security.PublicKey;
import java.time.Instant;

/**
 * One version of a tenant key: public data plus the key token (null once destroyed). The kid,
 * {@code tenantId:version}, travels in every publishing and use license.
 */
public record KeyVersion(String tenantId, int version, KeyVersionState state, KeyAlgorithm algorithm,
                         KeyOrigin origin, JWK publicJwk, KeyToken token, Instant createdAt) {

  public String kid() {
    return Kid.of(tenantId, version);
  }

  /** The version's public key. */
  public PublicKey publicKey() {
    try {
      return ((AsymmetricJWK) publicJwk).toPublicKey();
    } catch (JOSEException | ClassCastException e) {
      throw new IllegalStateException("key version " + kid() + " has no usable public key", e);
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
