package io.licensor.keys;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;

/** Public keys as JWKs, with the version's kid. */
public final class PublicJwks {

  private PublicJwks() {
  }

  public static JWK of(PublicKey key, String kid) {
    if (key instanceof RSAPublicKey rsa) {
      return new RSAKey.Builder(rsa).keyID(kid).build();
    }
    if (key instanceof ECPublicKey ec) {
      return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).keyID(kid).build();
    }
    throw new IllegalArgumentException("unsupported public key type " + key.getAlgorithm());
  }
}
