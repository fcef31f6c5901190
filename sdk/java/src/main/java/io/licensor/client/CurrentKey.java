package io.licensor.client;

import com.nimbusds.jose.jwk.JWK;

import java.time.Instant;

/**
 * A tenant's current key version as {@code GET /v1/tenants/{tid}/keys/current} gave it: what offline
 * publishing wraps content keys under, cached until {@code Cache-Control: max-age} ({@link #freshUntil}).
 */
public record CurrentKey(String tenant, String kid, long version, String algorithm, JWK jwk, Instant freshUntil) {
}
