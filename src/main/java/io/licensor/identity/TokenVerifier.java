package io.licensor.identity;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import java.util.Set;

/**
 * Verifies tokens of one issuer against its JWK Set: RS256, PS256 or ES256 only (never none,
 * never HMAC), the configured audience, the issuer, and exp/nbf within the clock skew.
 */
final class TokenVerifier {

  static final Set<JWSAlgorithm> ACCEPTED = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.PS256, JWSAlgorithm.ES256);

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

  TokenVerifier(String issuer, JWKSet jwks, String audience, int clockSkewSeconds) {
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(
        JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ACCEPTED, new ImmutableJWKSet<>(jwks.toPublicJWKSet())));
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
        audience, new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp"));
    claims.setMaxClockSkew(clockSkewSeconds);
    processor.setJWTClaimsSetVerifier(claims);
  }

  /** The verified claims; throws on any failure. */
  JWTClaimsSet verify(JWT jwt) throws Exception {
    return processor.process(jwt, null);
  }
}
