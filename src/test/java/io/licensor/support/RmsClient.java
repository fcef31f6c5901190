package io.licensor.support;

import io.vertx.core.json.JsonObject;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwe.ContentEncryptionAlgorithmIdentifiers;
import org.jose4j.jwe.JsonWebEncryption;
import org.jose4j.jwe.KeyManagementAlgorithmIdentifiers;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.EllipticCurves;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.lang.JoseException;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * An RMS client written from SPEC §3 with jose4j, an implementation independent of the server's
 * Nimbus code: makes publishing licenses offline, verifies use licenses from jwks.json, and opens
 * the content key with the recipient's private key.
 */
public final class RmsClient {

  private static final SecureRandom RANDOM = new SecureRandom();

  private RmsClient() {
  }

  public static byte[] newContentKey() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    SecretLedger.contentKey(key);
    return key;
  }

  public static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** A publishing license made offline from the tenant's current public key ({@code keys/current}'s jwk). */
  public static String publishOffline(JsonObject currentKey, JsonObject payload) {
    return publishOffline(currentKey, payload.encode());
  }

  /** The same with the payload's JSON text as given (a hostile client's: duplicate keys, say). */
  public static String publishOffline(JsonObject currentKey, String payloadText) {
    try {
      PublicJsonWebKey jwk = PublicJsonWebKey.Factory.newPublicJwk(currentKey.getJsonObject("jwk").encode());
      JsonWebEncryption jwe = new JsonWebEncryption();
      boolean rsa = "RSA".equals(jwk.getKeyType());
      jwe.setAlgorithmHeaderValue(rsa ? KeyManagementAlgorithmIdentifiers.RSA_OAEP_256
          : KeyManagementAlgorithmIdentifiers.ECDH_ES_A256KW);
      jwe.setEncryptionMethodHeaderParameter(ContentEncryptionAlgorithmIdentifiers.AES_256_GCM);
      jwe.setKeyIdHeaderValue(currentKey.getString("kid"));
      jwe.setHeader("typ", "licensor-pl+jwe");
      jwe.setKey(jwk.getPublicKey());
      jwe.setPayload(payloadText);
      return jwe.getCompactSerialization();
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }

  public static JsonObject plPayload(String contentId, String publisher, byte[] contentKey, JsonObject policy) {
    return new JsonObject()
        .put("contentId", contentId)
        .put("publisher", publisher)
        .put("issuedAt", System.currentTimeMillis() / 1000)
        .put("contentKey", b64(contentKey))
        .put("policy", policy);
  }

  public static PublicJsonWebKey recipientKey(boolean rsa) {
    try {
      return rsa ? RsaJwkGenerator.generateJwk(2048) : EcJwkGenerator.generateJwk(EllipticCurves.P256);
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }

  public static JsonObject publicJwk(PublicJsonWebKey key) {
    return new JsonObject(key.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
  }

  /** Verifies a use license with the tenant's JWK Set alone, as an offline client would. */
  public static JwtClaims verifyUseLicense(String useLicense, JsonObject jwks, String tenantId) throws Exception {
    JsonWebKeySet set = new JsonWebKeySet(jwks.encode());
    JwtConsumer consumer = new JwtConsumerBuilder()
        .setVerificationKeyResolver(new JwksVerificationKeyResolver(set.getJsonWebKeys()))
        .setExpectedIssuer("licensor:" + tenantId)
        .setRequireExpirationTime()
        .setRequireSubject()
        .setSkipDefaultAudienceValidation()
        .setExpectedType(true, "licensor-ul+jwt")
        .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, "PS256", "ES256", "ES384")
        .build();
    return consumer.processToClaims(useLicense);
  }

  /** Opens the UL's contentKey JWE with the recipient's private key. */
  public static byte[] openContentKey(String contentKeyJwe, PublicJsonWebKey recipient) throws JoseException {
    JsonWebEncryption jwe = new JsonWebEncryption();
    jwe.setAlgorithmConstraints(new AlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
        KeyManagementAlgorithmIdentifiers.RSA_OAEP_256, KeyManagementAlgorithmIdentifiers.ECDH_ES_A256KW));
    jwe.setContentEncryptionAlgorithmConstraints(new AlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
        ContentEncryptionAlgorithmIdentifiers.AES_256_GCM));
    jwe.setCompactSerialization(contentKeyJwe);
    jwe.setKey(recipient.getPrivateKey());
    return jwe.getPlaintextBytes();
  }

  public static String thumbprint(PublicJsonWebKey key) {
    return key.calculateBase64urlEncodedThumbprint("SHA-256");
  }

}
