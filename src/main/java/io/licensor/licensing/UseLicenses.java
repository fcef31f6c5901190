package io.licensor.licensing;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import io.licensor.keys.KeyVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Set;
import java.util.UUID;

/**
 * Use licenses (SPEC §3): a JWS signed by the key version that protected the content, carrying
 * the granted rights, a proof-of-possession binding ({@code cnf.jkt}) and the content key
 * encrypted to the recipient's key. Built in two halves around the HSM's signature.
 */
final class UseLicenses {

  static final JOSEObjectType TYPE = new JOSEObjectType("licensor-ul+jwt");

  private UseLicenses() {
  }

  /** A use license waiting for its signature. */
  record Unsigned(String signingInput, String kid, Set<Right> rights, long expiresAt) {
    String complete(byte[] signature) {
      return signingInput + "." + Base64URL.encode(signature);
    }
  }

  static Unsigned prepare(KeyVersion version, PublishingLicenseContent content, String subject, Set<Right> rights,
                          JWK recipient, long now, long expiresAt) throws JOSEException {
    JsonArray rightsJson = new JsonArray();
    rights.stream().sorted().forEach(r -> rightsJson.add(r.name()));
    JsonObject claims = new JsonObject()
        .put("iss", "licensor:" + version.tenantId())
        .put("sub", subject)
        .put("contentId", content.contentId())
        .put("rights", rightsJson)
        .put("iat", now)
        .put("nbf", now)
        .put("exp", expiresAt)
        .put("jti", UUID.randomUUID().toString())
        .put("cnf", new JsonObject().put("jkt", recipient.computeThumbprint().toString()))
        .put("contentKey", encryptContentKey(content.contentKey(), recipient));
    JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.parse(version.algorithm().jwsAlgorithm()))
        .keyID(version.kid())
        .type(TYPE)
        .build();
    String signingInput = header.toBase64URL() + "." + Base64URL.encode(claims.encode());
    return new Unsigned(signingInput, version.kid(), rights, expiresAt);
  }

  private static String encryptContentKey(byte[] contentKey, JWK recipient) throws JOSEException {
    boolean rsa = recipient instanceof RSAKey;
    JWEHeader.Builder header = new JWEHeader.Builder(rsa ? JWEAlgorithm.RSA_OAEP_256 : JWEAlgorithm.ECDH_ES_A256KW,
        EncryptionMethod.A256GCM);
    if (recipient.getKeyID() != null) {
      header.keyID(recipient.getKeyID());
    }
    JWEObject jwe = new JWEObject(header.build(), new Payload(contentKey));
    jwe.encrypt(rsa ? new RSAEncrypter(recipient.toRSAKey()) : new ECDHEncrypter(recipient.toECKey()));
    return jwe.serialize();
  }
}
