package io.licensor.licensing;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.vertx.core.json.JsonObject;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.text.ParseException;
import java.util.Set;

/**
 * The recipient's public key, to which a use license encrypts the content key: RSA of 2048 to 4096
 * bits with exponent 65537, or EC on P-256, P-384 or P-521. A key with private parts is refused (and
 * never echoed).
 */
final class RecipientKeys {

  private static final Set<Curve> CURVES = Set.of(Curve.P_256, Curve.P_384, Curve.P_521);

  private RecipientKeys() {
  }

  static JWK parse(Object value) {
    if (!(value instanceof JsonObject json)) {
      throw bad("recipientKey must be a public JWK object");
    }
    JWK jwk;
    try {
      jwk = JWK.parse(json.encode());
    } catch (ParseException e) {
      throw bad("recipientKey is not a valid JWK");
    }
    if (jwk.isPrivate()) {
      throw bad("recipientKey must be a public key; never send a private key");
    }
    if (jwk instanceof RSAKey rsa) {
      int bits = modulusBits(rsa);
      if (bits < 2048 || bits > 4096) {
        throw bad("recipientKey: RSA keys must have 2048 to 4096 bits (this one has " + bits + ")");
      }
      if (!F4.equals(bigInteger(rsa.getPublicExponent()))) {
        throw bad("recipientKey: RSA keys must have the public exponent 65537 (AQAB)");
      }
      return rsa;
    }
    if (jwk instanceof ECKey ec) {
      if (!CURVES.contains(ec.getCurve())) {
        throw bad("recipientKey: EC keys must be on P-256, P-384 or P-521");
      }
      return ec;
    }
    throw bad("recipientKey must be an RSA or EC key");
  }

  /** The public key of an RSA recipient JWK (decoded with the JDK's codec: public data). */
  static RSAPublicKey rsaPublicKey(RSAKey rsa) {
    try {
      return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
          new BigInteger(1, Base64Url.decode(rsa.getModulus())), new BigInteger(1, Base64Url.decode(rsa.getPublicExponent()))));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw bad("recipientKey is not a valid RSA public key");
    }
  }

  private static int modulusBits(RSAKey rsa) {
    return bigInteger(rsa.getModulus()).bitLength();
  }

  private static BigInteger bigInteger(Base64URL value) {
    try {
      return new BigInteger(1, Base64Url.decode(value));
    } catch (IllegalArgumentException e) {
      throw bad("recipientKey is not a valid JWK");
    }
  }

  /** The only public exponent accepted: 65537. A large exponent multiplies the cost of each license. */
  private static final BigInteger F4 = BigInteger.valueOf(65537);

  private static ProblemException bad(String detail) {
    return Problem.INVALID_REQUEST.with(detail);
  }
}
