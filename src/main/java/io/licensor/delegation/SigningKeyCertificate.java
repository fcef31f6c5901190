package io.licensor.delegation;

import io.licensor.hsm.KeyAlgorithm;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.Locale;

/**
 * The X.509 certificate of a delegated signing key (SPEC §3, the UL header's {@code x5c}): issued
 * by the key version ({@code CN=tenant:version}) to the signing key ({@code CN=tenant:version.n}),
 * for digital signatures only, not a CA. Built in two halves around the HSM: the to-be-signed part
 * here, its signature by the version's key in the HSM (the version's JWS algorithm: RSASSA-PSS
 * SHA-256 with a 32-byte salt, or ECDSA), then {@link #assemble}.
 */
final class SigningKeyCertificate {

  private SigningKeyCertificate() {
  }

  /** The DER of the to-be-signed certificate. */
  static byte[] toBeSigned(String issuerKid, PublicKey issuerKey, KeyAlgorithm issuerAlgorithm, String subjectKid,
                           long serial, ECPublicKey subjectKey, Instant notBefore, Instant notAfter) {
    try {
      SubjectPublicKeyInfo subjectInfo = SubjectPublicKeyInfo.getInstance(subjectKey.getEncoded());
      SubjectPublicKeyInfo issuerInfo = SubjectPublicKeyInfo.getInstance(issuerKey.getEncoded());
      BcX509ExtensionUtils ids = new BcX509ExtensionUtils();
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      extensions.addExtension(Extension.subjectKeyIdentifier, false, ids.createSubjectKeyIdentifier(subjectInfo));
      extensions.addExtension(Extension.authorityKeyIdentifier, false, ids.createAuthorityKeyIdentifier(issuerInfo));
      V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
      tbs.setSerialNumber(new ASN1Integer(serial));
      tbs.setSignature(signatureAlgorithm(issuerAlgorithm));
      tbs.setIssuer(name(issuerKid));
      tbs.setSubject(name(subjectKid));
      tbs.setStartDate(new Time(Date.from(notBefore)));
      tbs.setEndDate(new Time(Date.from(notAfter)));
      tbs.setSubjectPublicKeyInfo(subjectInfo);
      tbs.setExtensions(extensions.generate());
      TBSCertificate certificate = tbs.generateTBSCertificate();
      return certificate.getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The certificate's DER: the to-be-signed part, the algorithm, and the HSM's JOSE-format signature. */
  static byte[] assemble(byte[] toBeSigned, KeyAlgorithm issuerAlgorithm, byte[] joseSignature) {
    byte[] signature = issuerAlgorithm.isRsa() ? joseSignature : derOfP1363(joseSignature);
    try {
      return new DERSequence(new ASN1Encodable[] {TBSCertificate.getInstance(toBeSigned),
          signatureAlgorithm(issuerAlgorithm), new DERBitString(signature)}).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The X.509 form of the version's JWS algorithm (PS256, ES256, ES384). */
  static AlgorithmIdentifier signatureAlgorithm(KeyAlgorithm algorithm) {
    return switch (algorithm.jwsAlgorithm()) {
      case "PS256" -> {
        AlgorithmIdentifier sha256 = new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE);
        yield new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSASSA_PSS, new RSASSAPSSparams(sha256,
            new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, sha256), new ASN1Integer(32), new ASN1Integer(1)));
      }
      case "ES256" -> new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
      case "ES384" -> new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA384);
      default -> throw new IllegalArgumentException("no X.509 signature algorithm for " + algorithm.jwsAlgorithm());
    };
  }

  private static X500Name name(String kid) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, kid).addRDN(BCStyle.O, "licensor").build();
  }

  /** JOSE's r || s as the DER SEQUENCE { r INTEGER, s INTEGER } X.509 carries. */
  static byte[] derOfP1363(byte[] rs) {
    if (rs.length == 0 || rs.length % 2 != 0) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "an ECDSA signature of %d bytes", rs.length));
    }
    int half = rs.length / 2;
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(rs, 0, half));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(rs, half, rs.length));
    try {
      return new DERSequence(new ASN1Encodable[] {new ASN1Integer(r), new ASN1Integer(s)}).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
