package io.licensor.licensing;

import com.nimbusds.jose.JWEObject;
import io.licensor.ids.Kid;

/** A publishing license whose header has been read and checked, not yet decrypted. */
record ParsedPublishingLicense(JWEObject jwe, String tenantId, int version) {

  String kid() {
    return Kid.of(tenantId, version);
  }
}
