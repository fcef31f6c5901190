package io.licensor.hsm;

import java.security.interfaces.ECPublicKey;

/**
 * A delegated signing key made inside the module ({@link Hsm#generateSigningKey}): the module's
 * handle for its private half, which never leaves the module, and its public key.
 */
public record SigningKeyHandle(String handle, ECPublicKey publicKey) {
}
