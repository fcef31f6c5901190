package io.licensor.licensing;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.SoftwareCrypto;
import io.licensor.hsm.KeyToken;
import io.licensor.keys.KeyOrigin;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Date;
import java.util.Set;

/**
 * Runs the request path's JOSE and JCA code once at start-up, on a worker thread, with throwaway
 * keys: class loading and provider initialisation then happen before the node takes traffic, not
 * on an event loop during the first requests. No tenant key is touched.
 */
public final class Warmup {

  private Warmup() {
  }

  /** {@code crypto}: the provider the licensing path will use for publishing licenses and the recipient's JWE. */
  public static void run(SoftwareCrypto crypto) throws Exception {
    JweEncryption encryption = new JweEncryption(crypto);
    ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("warmup:1").generate();
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("warmup:2").generate();
    Policy policy = Policy.fromJson(new JsonObject().put("grants", new JsonArray()
        .add(new JsonObject().put("principal", "*").put("rights", new JsonArray().add("VIEW")))));
    for (var key : new JWK[] {ec, rsa}) {
      KeyAlgorithm alg = key instanceof ECKey ? KeyAlgorithm.EC_P256 : KeyAlgorithm.RSA_2048;
      KeyVersion version = new KeyVersion("warmup", 1, KeyVersionState.ACTIVE, alg, KeyOrigin.SERVICE,
          key.toPublicJWK(), new KeyToken("warmup", new byte[8]), Instant.now());
      PublishingLicenseContent content = new PublishingLicenseContent("warmup", "warmup", 0, new byte[32], policy);
      String pl = PublishingLicenses.seal(version, content, encryption);
      PublishingLicenses.parse(pl);
      UseLicenses.prepare(version, content, "warmup", policy.rightsFor("warmup", Set.of()),
          RecipientKeys.parse(new JsonObject(key.toPublicJWK().toJSONObject())), encryption, 0, 1, 1);
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(),
        new JWTClaimsSet.Builder().subject("warmup").expirationTime(new Date()).build());
    jwt.sign(new ECDSASigner(ec));
    JWTParser.parse(jwt.serialize());
  }
}
