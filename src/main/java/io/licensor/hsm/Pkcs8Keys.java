package io.licensor.hsm;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;

/**
 * Private keys brought in as PKCS#8 (BYOK transfers, imports), checked before either backend
 * takes them: the type, size and whole curve the algorithm names, and a key pair that works.
 */
final class Pkcs8Keys {

  private Pkcs8Keys() {
  }

  /**
   * Checks that {@code pkcs8} is a working private key of {@code algorithm} (type, size, curve, a
   * signature that verifies) and returns its public key; each failure a distinct reason.
   */
  static PublicKey check(KeyAlgorithm algorithm, byte[] pkcs8) {
    PrivateKeyInfo info;
    try {
      info = PrivateKeyInfo.getInstance(pkcs8);
    } catch (RuntimeException e) {
      throw new HsmException(HsmException.Reason.NOT_A_PRIVATE_KEY, "the transferred bytes are not a PKCS#8 private key");
    }
    String oid = info.getPrivateKeyAlgorithm().getAlgorithm().getId();
    boolean rsa = oid.equals("1.2.840.113549.1.1.1");
    boolean ec = oid.equals("1.2.840.10045.2.1");
    if (!rsa && !ec) {
      throw new HsmException(HsmException.Reason.KEY_NOT_ALLOWED, "only RSA and EC keys are accepted");
    }
    if (rsa != algorithm.isRsa()) {
      throw new HsmException(HsmException.Reason.KEY_NOT_ALLOWED, "the key is " + (rsa ? "an RSA" : "an EC")
          + " key, not " + algorithm.wireName());
    }
    PrivateKey privateKey;
    try {
      privateKey = KeyFactory.getInstance(rsa ? "RSA" : "EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(HsmException.Reason.NOT_A_PRIVATE_KEY, "the transferred bytes are not a usable private key");
    }
    if (privateKey instanceof RSAPrivateCrtKey r && r.getModulus().bitLength() != algorithm.bits()) {
      throw new HsmException(HsmException.Reason.KEY_NOT_ALLOWED, "the key is RSA-" + r.getModulus().bitLength()
          + ", not " + algorithm.wireName());
    }
    if (privateKey instanceof ECPrivateKey e && !onCurve(e, algorithm.curve())) {
      throw new HsmException(HsmException.Reason.KEY_NOT_ALLOWED, "the key is not on the curve of " + algorithm.wireName());
    }
    if (!(privateKey instanceof RSAPrivateCrtKey) && rsa) {
      throw new HsmException(HsmException.Reason.NOT_A_PRIVATE_KEY, "RSA keys must carry their CRT parameters");
    }
    PublicKey publicKey;
    try {
      publicKey = publicOf(privateKey, algorithm);
    } catch (GeneralSecurityException e) {
      throw new HsmException(HsmException.Reason.NOT_A_PRIVATE_KEY, "the private key is malformed");
    }
    checkPair(algorithm, privateKey, publicKey);
    return publicKey;
  }

  private static void checkPair(KeyAlgorithm algorithm, PrivateKey privateKey, PublicKey publicKey) {
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm.isRsa() ? "SHA256withRSA" : "SHA256withECDSA");
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] sig = signer.sign();
      Signature verifier = Signature.getInstance(algorithm.isRsa() ? "SHA256withRSA" : "SHA256withECDSA");
      verifier.initVerify(publicKey);
      verifier.update(probe);
      if (!verifier.verify(sig)) {
        throw new HsmException(HsmException.Reason.NOT_A_PRIVATE_KEY, "the key pair does not work");
      }
    } catch (GeneralSecurityException e) {
      throw new HsmException(HsmException.Reason.NOT_A_PRIVATE_KEY, "the key pair does not work");
    }
  }

  /**
   * Whether the key is on the named curve: the whole curve (field, a, b), generator, order and
   * cofactor, not only the field's size (secp256k1 and brainpoolP256r1 are 256-bit curves too).
   */
  static boolean onCurve(ECPrivateKey key, String curveName) {
    try {
      AlgorithmParameters named = AlgorithmParameters.getInstance("EC");
      named.init(new ECGenParameterSpec(curveName));
      ECParameterSpec want = named.getParameterSpec(ECParameterSpec.class);
      ECParameterSpec have = key.getParams();
      return have.getCurve().equals(want.getCurve()) && have.getGenerator().equals(want.getGenerator())
          && have.getOrder().equals(want.getOrder()) && have.getCofactor() == want.getCofactor();
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static PublicKey publicOf(PrivateKey privateKey, KeyAlgorithm algorithm) throws GeneralSecurityException {
    if (privateKey instanceof RSAPrivateCrtKey rsa) {
      if (rsa.getModulus().bitLength() != algorithm.bits()) {
        throw new GeneralSecurityException("size mismatch");
      }
      return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
    }
    if (privateKey instanceof ECPrivateKey ec) {
      return EcPoints.publicKeyOf(ec);
    }
    throw new GeneralSecurityException("unsupported key type");
  }
}
