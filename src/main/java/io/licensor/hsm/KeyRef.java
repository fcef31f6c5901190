package io.licensor.hsm;

/** What an HSM operation names: the key version's kid, its algorithm, and its key token. */
public record KeyRef(String kid, KeyAlgorithm algorithm, KeyToken token) {
}
