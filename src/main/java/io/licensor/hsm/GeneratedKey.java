package io.licensor.hsm;

import java.security.PublicKey;

/** A key pair fresh from the HSM: the public key in the clear, the private key only as a token. */
public record GeneratedKey(KeyAlgorithm algorithm, PublicKey publicKey, KeyToken token) {
}
