package io.licensor.identity;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTParser;

/**
 * Coverage-guided fuzzing of bearer-token verification: whatever the bytes, a token not signed by
 * the issuer's key never verifies (a success is a forgery, reported as a finding), and a refusal is
 * an exception the authenticator turns into 401 — never an Error.
 */
class TokenFuzzTest {

  private static final TokenVerifier VERIFIER;

  static {
    try {
      ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
      VERIFIER = new TokenVerifier("https://idp.test/fuzz", new JWKSet(key.toPublicJWK()), "licensor", 60, 86_400);
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @FuzzTest(maxDuration = "20s")
  void bearerToken(FuzzedDataProvider data) {
    String token = data.consumeRemainingAsString();
    try {
      VERIFIER.verify(JWTParser.parse(token));
    } catch (Exception refused) {
      return;
    }
    throw new AssertionError("a token the fuzzer made verified: " + token);
  }
}
