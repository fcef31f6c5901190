package io.licensor.hsm;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.ECCurve;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_ECDH1_DERIVE_PARAMS;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;

import static sun.security.pkcs11.wrapper.PKCS11Constants.*;

/**
 * Public keys of the token's key objects, and EC on the token: the curves' OIDs and parameters,
 * EC points as tokens give them, the public point of a private EC key (which the object does not
 * carry), ECDH and ECDSA.
 */
final class Pkcs11Ec {

  private static final byte[] P256_OID = {0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x03, 0x01, 0x07};
  private static final byte[] P384_OID = {0x06, 0x05, 0x2B, (byte) 0x81, 0x04, 0x00, 0x22};

  private final PKCS11 p11;
  private final Pkcs11Sessions sessions;
  private final SecureRandom random;

  Pkcs11Ec(Pkcs11Sessions sessions, SecureRandom random) {
    this.p11 = sessions.p11;
    this.sessions = sessions;
    this.random = random;
  }

  static byte[] oid(KeyAlgorithm algorithm) {
    return algorithm == KeyAlgorithm.EC_P384 ? P384_OID : P256_OID;
  }

  PublicKey publicKeyOf(long s, long publicHandle, KeyAlgorithm algorithm) throws PKCS11Exception,
      GeneralSecurityException {
    if (algorithm.isRsa()) {
      CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT)};
      p11.C_GetAttributeValue(s, publicHandle, a);
      return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(a[0].getBigInteger(), a[1].getBigInteger()));
    }
    CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_EC_POINT)};
    p11.C_GetAttributeValue(s, publicHandle, a);
    byte[] point = a[0].getByteArray();
    if (point.length != 2 * fieldBytes(algorithm) + 1) {
      // most tokens give the point inside a DER OCTET STRING
      point = ASN1OctetString.getInstance(point).getOctets();
    }
    ECParameterSpec params = params(algorithm);
    org.bouncycastle.math.ec.ECPoint q = EC5Util.convertCurve(params.getCurve()).decodePoint(point).normalize();
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
        new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), params));
  }

  static ECParameterSpec params(KeyAlgorithm algorithm) throws GeneralSecurityException {
    AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
    p.init(new ECGenParameterSpec(algorithm.curve()));
    return p.getParameterSpec(ECParameterSpec.class);
  }

  PublicKey publicKeyOfPrivate(long s, long privateHandle) throws PKCS11Exception, GeneralSecurityException {
    CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT)};
    p11.C_GetAttributeValue(s, privateHandle, a);
    return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(a[0].getBigInteger(), a[1].getBigInteger()));
  }

  /**
   * A private EC key object does not carry its public point. ECDH with the curve's generator gives
   * the point's x coordinate; of the two points with that x, the one a test signature verifies
   * against is the public key.
   */
  PublicKey ecPublicKeyOfPrivate(long s, long privateHandle, KeyAlgorithm algorithm) throws PKCS11Exception,
      GeneralSecurityException {
    ECParameterSpec params = params(algorithm);
    ECCurve curve = EC5Util.convertCurve(params.getCurve());
    org.bouncycastle.math.ec.ECPoint g = EC5Util.convertPoint(curve, params.getGenerator());
    byte[] x = derive(s, privateHandle, g.getEncoded(false), fieldBytes(algorithm));
    byte[] probe = new byte[32];
    random.nextBytes(probe);
    byte[] signature = signEc(s, privateHandle, algorithm, probe);
    for (byte prefix : new byte[] {0x02, 0x03}) {
      byte[] compressed = new byte[x.length + 1];
      compressed[0] = prefix;
      System.arraycopy(x, 0, compressed, 1, x.length);
      org.bouncycastle.math.ec.ECPoint q = curve.decodePoint(compressed).normalize();
      PublicKey candidate = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
          new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), params));
      Signature verifier = Signature.getInstance(algorithm == KeyAlgorithm.EC_P384 ? "SHA384withECDSAinP1363Format"
          : "SHA256withECDSAinP1363Format");
      verifier.initVerify(candidate);
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return candidate;
      }
    }
    throw new HsmException(HsmException.Reason.KEY_UNAVAILABLE, "the EC key's public point cannot be established");
  }

  static int fieldBytes(KeyAlgorithm algorithm) {
    return algorithm == KeyAlgorithm.EC_P384 ? 48 : 32;
  }

  byte[] derive(long s, long privateHandle, byte[] peerPoint, int length) throws PKCS11Exception {
    CK_MECHANISM ecdh = new CK_MECHANISM(CKM_ECDH1_DERIVE, new CK_ECDH1_DERIVE_PARAMS(CKD_NULL, null, peerPoint));
    CK_ATTRIBUTE[] template = {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_GENERIC_SECRET),
        new CK_ATTRIBUTE(CKA_VALUE_LEN, (long) length), new CK_ATTRIBUTE(CKA_TOKEN, false),
        new CK_ATTRIBUTE(CKA_SENSITIVE, false), new CK_ATTRIBUTE(CKA_EXTRACTABLE, true)};
    long secret = p11.C_DeriveKey(s, ecdh, privateHandle, template);
    try {
      CK_ATTRIBUTE[] value = {new CK_ATTRIBUTE(CKA_VALUE)};
      p11.C_GetAttributeValue(s, secret, value);
      return value[0].getByteArray();
    } finally {
      sessions.destroy(secret);
    }
  }

  /** ECDSA over a digest made here; the token returns r || s, which is JOSE's format already. */
  byte[] signEc(long s, long handle, KeyAlgorithm algorithm, byte[] data) throws PKCS11Exception,
      GeneralSecurityException {
    byte[] digest = MessageDigest.getInstance(algorithm == KeyAlgorithm.EC_P384 ? "SHA-384" : "SHA-256").digest(data);
    p11.C_SignInit(s, new CK_MECHANISM(CKM_ECDSA), handle);
    return p11.C_Sign(s, digest);
  }
}
