package io.licensor.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.EllipticCurves;
import org.jose4j.lang.JoseException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A token issuer for tests, built on jose4j (independent of the Nimbus code the server uses): an
 * operator issuer (RS256) or a tenant's identity provider (ES256 or PS256).
 */
public final class Issuer {

  private final String issuer;
  private final PublicJsonWebKey key;
  private final String alg;

  private Issuer(String issuer, PublicJsonWebKey key, String alg) {
    this.issuer = issuer;
    this.key = key;
    this.alg = alg;
    Object d = key.toParams(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE).get("d");
    if (d instanceof String text) {
      SecretLedger.privateKey(Base64.getUrlDecoder().decode(text));
    }
  }

  public static Issuer rsa(String issuer) {
    try {
      PublicJsonWebKey k = RsaJwkGenerator.generateJwk(2048);
      k.setKeyId("k-" + UUID.randomUUID().toString().substring(0, 8));
      return new Issuer(issuer, k, AlgorithmIdentifiers.RSA_USING_SHA256);
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Issuer ec(String issuer) {
    try {
      PublicJsonWebKey k = EcJwkGenerator.generateJwk(EllipticCurves.P256);
      k.setKeyId("k-" + UUID.randomUUID().toString().substring(0, 8));
      return new Issuer(issuer, k, AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }

  public String issuer() {
    return issuer;
  }

  public JsonObject jwks() {
    return new JsonObject().put("keys", new JsonArray()
        .add(new JsonObject(key.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY))));
  }

  public String token(String subject, List<String> roles) {
    return token(subject, roles, List.of(), 600, "licensor");
  }

  public String token(String subject, List<String> roles, List<String> groups, long ttlSeconds, String audience) {
    JwtClaims claims = new JwtClaims();
    claims.setIssuer(issuer);
    claims.setAudience(audience);
    claims.setSubject(subject);
    claims.setIssuedAtToNow();
    claims.setExpirationTime(NumericDate.fromSeconds(System.currentTimeMillis() / 1000 + ttlSeconds));
    claims.setStringListClaim("roles", roles);
    if (!groups.isEmpty()) {
      claims.setStringListClaim("groups", groups);
    }
    claims.setGeneratedJwtId();
    return sign(claims.toJson());
  }

  /** A token for a tenant of a shared issuer: {@code tid} names the tenant (TestNode.sharedIssuerTenantRequest). */
  public String tenantToken(String tid, String subject, List<String> roles) {
    return sign(new JsonObject(claims(subject, roles)).put("tid", tid).encode());
  }

  /** The claims of {@link #token(String, List)}, as JSON, for hand-made tokens. */
  public String claims(String subject, List<String> roles) {
    String token = token(subject, roles);
    return new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
  }

  /** Signs with this issuer's key, with more protected header parameters (jwk, jku, crit, x5u...). */
  public String signWithHeaders(String payload, Map<String, Object> headers) {
    JsonWebSignature jws = new JsonWebSignature();
    jws.setPayload(payload);
    jws.setKey(key.getPrivateKey());
    jws.setKeyIdHeaderValue(key.getKeyId());
    jws.setAlgorithmHeaderValue(alg);
    jws.setHeader("typ", "JWT");
    headers.forEach((name, value) -> jws.getHeaders().setObjectHeaderValue(name, value));
    try {
      String token = jws.getCompactSerialization();
      SecretLedger.token(token);
      return token;
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }

  /** This issuer's public JWK as a map (to put into a jwk header). */
  public Map<String, Object> publicJwk() {
    return key.toParams(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
  }

  /** Signs any payload with this issuer's key (for hand-made tokens). */
  public String sign(String payload) {
    return signWithHeaders(payload, Map.of());
  }
}
