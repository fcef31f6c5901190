package io.licensor.hsm;

import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;

/**
 * The password-based encryption of an exported key: PBES2 (PBKDF2-HMAC-SHA256, 600,000 iterations,
 * AES-256-CBC) encrypted PKCS#8 PEM, as OpenSSL reads it. It costs hundreds of milliseconds of CPU,
 * so {@link HsmClient#exportEncrypted} runs it on a bounded pool of its own, never on an HSM session.
 */
public final class ExportEncryption {

  static final int PBKDF2_ITERATIONS = 600_000;
  /** Used by instance, never installed globally: PBES2 with PKCS#7 padding for exports. */
  private static final java.security.Provider BOUNCY_CASTLE = new org.bouncycastle.jce.provider.BouncyCastleProvider();

  private ExportEncryption() {
  }

  /** The encrypted PEM of a PKCS#8 private key; the caller zeroes {@code pkcs8} and {@code password}. */
  public static String encryptedPem(byte[] pkcs8, KeyAlgorithm algorithm, char[] password, SecureRandom random) {
    try {
      PrivateKey privateKey = KeyFactory.getInstance(algorithm.isRsa() ? "RSA" : "EC")
          .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      org.bouncycastle.operator.OutputEncryptor encryptor =
          new org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder(org.bouncycastle.openssl.PKCS8Generator.AES_256_CBC)
              .setPRF(org.bouncycastle.openssl.PKCS8Generator.PRF_HMACSHA256)
              .setIterationCount(PBKDF2_ITERATIONS)
              .setRandom(random)
              .setPassword(password)
              .setProvider(BOUNCY_CASTLE)
              .build();
      org.bouncycastle.util.io.pem.PemObject pem =
          new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(privateKey, encryptor).generate();
      java.io.StringWriter out = new java.io.StringWriter();
      try (org.bouncycastle.util.io.pem.PemWriter writer = new org.bouncycastle.util.io.pem.PemWriter(out)) {
        writer.writeObject(pem);
      }
      return out.toString();
    } catch (Exception e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "export failed", e);
    }
  }
}
