package io.licensor.licensing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64;
import io.licensor.keys.KeyVersion;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.util.Date;
import java.util.List;

/**
 * Checks a use license against its key version, as an offline client does: signed by the
 * version's key, or by a delegated key whose certificate ({@code x5c}) the version's key signed,
 * issued to the header's kid, valid when the license was issued and until it expires.
 */
final class UseLicenseVerification {

  private UseLicenseVerification() {
  }

  static boolean verifies(String useLicense, KeyVersion version) throws ParseException, JOSEException,
      GeneralSecurityException {
    JWSObject jws = JWSObject.parse(useLicense);
    String kid = jws.getHeader().getKeyID();
    if (version.kid().equals(kid)) {
      return jws.verify(version.algorithm().isRsa()
          ? new RSASSAVerifier(version.publicJwk().toRSAKey())
          : new ECDSAVerifier(version.publicJwk().toECKey()));
    }
    List<Base64> chain = jws.getHeader().getX509CertChain();
    if (kid == null || !kid.startsWith(version.kid() + ".") || chain == null || chain.size() != 1
        || !JWSAlgorithm.ES256.equals(jws.getHeader().getAlgorithm())) {
      return false;
    }
    X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(chain.get(0).decode()));
    certificate.verify(version.publicKey());
    RDN[] cn = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
    if (cn.length != 1 || !kid.equals(cn[0].getFirst().getValue().toString())) {
      return false;
    }
    Object exp = jws.getPayload().toJSONObject().get("exp");
    if (exp instanceof Number n) {
      certificate.checkValidity(new Date(n.longValue() * 1000));
    }
    certificate.checkValidity();
    return jws.verify(new ECDSAVerifier((ECPublicKey) certificate.getPublicKey()));
  }
}
