package io.licensor.identity;

import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import java.security.Provider;
import java.util.Date;
import java.util.Set;

/**
 * Verifies tokens of one issuer against its JWK Set (given, or fetched from the issuer): RS256, PS256 or ES256 only (never none,
 * never HMAC), the configured audience, the issuer, exp/nbf within the clock skew, a non-empty sub,
 * no iat in the future, and a lifetime (exp after iat) within the configured maximum. Keys come
 * only from the issuer's registered JWK Set: jwk, jku, x5u and x5c headers are never followed, and
 * a token with a crit header is refused.
 */
final class TokenVerifier {

  static final Set<JWSAlgorithm> ACCEPTED = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.PS256, JWSAlgorithm.ES256);

  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
  private final long clockSkewMillis;
  private final long maxLifetimeMillis;

  /** {@code maxLifetimeSeconds}: the longest a token may be valid for (exp after iat, or after now without iat). */
  TokenVerifier(String issuer, JWKSet jwks, String audience, int clockSkewSeconds, int maxLifetimeSeconds) {
    this(issuer, jwks, audience, clockSkewSeconds, maxLifetimeSeconds, null);
  }

  /**
   * {@code signatures}: the JCA provider that checks the tokens' signatures (the node's native one,
   * see {@code hsm.SoftwareCrypto}: on the JDK's, an ES256 check costs about a millisecond, and each
   * distinct token is checked once), or null for the JDK's.
   */
  TokenVerifier(String issuer, JWKSet jwks, String audience, int clockSkewSeconds, int maxLifetimeSeconds,
                Provider signatures) {
    this(issuer, new ImmutableJWKSet<>(jwks.toPublicJWKSet()), audience, clockSkewSeconds, maxLifetimeSeconds, signatures);
  }

  /**
   * {@code keys}: where the issuer's keys come from; a remote source (see {@code remote.RemoteKeys})
   * may block on a fetch, so such a verifier is called on a worker.
   */
  TokenVerifier(String issuer, JWKSource<SecurityContext> keys, String audience, int clockSkewSeconds,
                int maxLifetimeSeconds, Provider signatures) {
    if (signatures != null) {
      DefaultJWSVerifierFactory verifiers = new DefaultJWSVerifierFactory();
      verifiers.getJCAContext().setProvider(signatures);
      processor.setJWSVerifierFactory(verifiers);
    }
    this.clockSkewMillis = clockSkewSeconds * 1000L;
    this.maxLifetimeMillis = maxLifetimeSeconds * 1000L;
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(
        JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ACCEPTED, keys));
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
        audience, new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp"));
    claims.setMaxClockSkew(clockSkewSeconds);
    processor.setJWTClaimsSetVerifier(claims);
  }

  /** The verified claims; throws on any failure. */
  JWTClaimsSet verify(JWT jwt) throws Exception {
    // licensor's tokens need no extension: a crit header (RFC 7515 4.1.11) is refused outright, even
    // one the JOSE library would understand (b64), rather than trusted to be understood alike
    if (jwt.getHeader().getCriticalParams() != null && !jwt.getHeader().getCriticalParams().isEmpty()) {
      throw new BadJOSEException("critical header parameters are not accepted");
    }
    JWTClaimsSet claims = processor.process(jwt, null);
    if (claims.getSubject() == null || claims.getSubject().isBlank()) {
      throw new BadJOSEException("the token's sub is empty");
    }
    long now = System.currentTimeMillis();
    Date issuedAt = claims.getIssueTime();
    if (issuedAt != null && issuedAt.getTime() > now + clockSkewMillis) {
      throw new BadJOSEException("the token is issued in the future (iat)");
    }
    long from = issuedAt != null ? issuedAt.getTime() : now;
    if (claims.getExpirationTime().getTime() - from > maxLifetimeMillis + clockSkewMillis) {
      throw new BadJOSEException("the token is valid for longer than this service accepts ("
          + maxLifetimeMillis / 1000 + " s)");
    }
    return claims;
  }
}
