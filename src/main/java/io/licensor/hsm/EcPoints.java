package io.licensor.hsm;

import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPublicKeySpec;

/** EC helpers the JCA lacks: the public point of a private key. */
final class EcPoints {

  private EcPoints() {
  }

  static ECPublicKey publicKeyOf(ECPrivateKey privateKey) throws GeneralSecurityException {
    ECParameterSpec params = privateKey.getParams();
    org.bouncycastle.jce.spec.ECParameterSpec bc = EC5Util.convertSpec(params);
    ECPoint q = new FixedPointCombMultiplier().multiply(bc.getG(), privateKey.getS()).normalize();
    java.security.spec.ECPoint w = new java.security.spec.ECPoint(
        q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
    return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, params));
  }
}
