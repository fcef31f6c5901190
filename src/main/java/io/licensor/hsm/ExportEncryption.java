package io.licensor.hsm;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

import java.io.StringWriter;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
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
  private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

  private ExportEncryption() {
  }

  /** The encrypted PEM of a PKCS#8 private key; the caller zeroes {@code pkcs8} and {@code password}. */
  public static String encryptedPem(byte[] pkcs8, KeyAlgorithm algorithm, char[] password, SecureRandom random) {
    try {
      PrivateKey privateKey = KeyFactory.getInstance(algorithm.isRsa() ? "RSA" : "EC")
          .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      OutputEncryptor encryptor =
          new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
              .setPRF(PKCS8Generator.PRF_HMACSHA256)
              .setIterationCount(PBKDF2_ITERATIONS)
              .setRandom(random)
              .setPassword(password)
              .setProvider(BOUNCY_CASTLE)
              .build();
      PemObject pem =
          new JcaPKCS8Generator(privateKey, encryptor).generate();
      StringWriter out = new StringWriter();
      try (PemWriter writer = new PemWriter(out)) {
        writer.writeObject(pem);
      }
      return out.toString();
    } catch (Exception e) {
      throw new HsmException(HsmException.Reason.INTERNAL, "export failed", e);
    }
  }
}
