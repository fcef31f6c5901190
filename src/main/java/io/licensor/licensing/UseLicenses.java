package io.licensor.licensing;

import io.licensor.rights.Right;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.JWK;
import io.licensor.keys.KeyVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Set;
import java.util.UUID;

/**
 * Use licenses (SPEC §3): a JWS signed by the key version that protected the content, carrying
 * the granted rights, a proof-of-possession binding ({@code cnf.jkt}) and the content key
 * encrypted to the recipient's key. Built in two halves around the HSM's signature, by the
 * version's key or by a delegated signing key the version certified.
 */
final class UseLicenses {

  static final JOSEObjectType TYPE = new JOSEObjectType("licensor-ul+jwt");

  private UseLicenses() {
  }

  /**
   * A use license waiting for its header and signature: the claims (base64url), the kid of the
   * version that protected the content, the rights and the expiry.
   */
  record Unsigned(String claims, String kid, Set<Right> rights, long expiresAt, long offlineAccessSeconds) {
    /** The JWS signing input under this protected header (base64url). */
    String signingInput(String header) {
      return header + "." + claims;
    }
  }

  /** The protected header of a use license signed by the key version itself. */
  static String header(KeyVersion version) {
    return Base64Url.encode(new JsonObject().put("alg", version.algorithm().jwsAlgorithm()).put("kid", version.kid())
        .put("typ", TYPE.getType()).encode());
  }

  /**
   * The protected header of a use license signed by a delegated key (SPEC §3): its kid
   * ({@code tenant:version.n}) and its certificate, signed by the version's key, in {@code x5c}.
   */
  static String delegatedHeader(String kid, String x5c) {
    return Base64Url.encode(new JsonObject().put("alg", "ES256").put("kid", kid).put("typ", TYPE.getType())
        .put("x5c", new JsonArray().add(x5c)).encode());
  }

  static String complete(String signingInput, byte[] signature) {
    return signingInput + "." + Base64Url.encode(signature);
  }

  static Unsigned prepare(KeyVersion version, PublishingLicenseContent content, String subject, Set<Right> rights,
                          JWK recipient, JweEncryption encryption, long now, long expiresAt, long offlineAccessSeconds)
      throws JOSEException {
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
        // how long the client may keep using it without asking again (0: only to open the content now)
        .put("offlineAccessSeconds", offlineAccessSeconds)
        .put("jti", UUID.randomUUID().toString())
        .put("cnf", new JsonObject().put("jkt", recipient.computeThumbprint().toString()))
        .put("contentKey", encryption.encrypt(content.contentKey(), recipient));
    return new Unsigned(Base64Url.encode(claims.encode()), version.kid(), rights, expiresAt, offlineAccessSeconds);
  }
}
