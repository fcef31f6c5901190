package io.licensor.hsm;

import org.bouncycastle.crypto.AsymmetricBlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.encodings.OAEPEncoding;

import java.util.Arrays;

/**
 * OAEP decoding in software of a block a PKCS#11 token decrypted raw (CKM_RSA_X_509): SunPKCS11
 * cannot do OAEP. Trust boundary: the padded block, and so the key it carries, leaves the token;
 * the private key does not.
 */
final class OaepDecoding {

  private OaepDecoding() {
  }

  /** Decodes an encoded message of {@code k} bytes; OAEP with {@code hash} for both the label and MGF1. */
  static byte[] decode(byte[] encodedMessage, int k, String hash) {
    if (encodedMessage.length > k || (encodedMessage.length == k && encodedMessage[0] != 0)) {
      throw new HsmException(HsmException.Reason.BAD_INPUT, "decryption failed");
    }
    Digest digest = "SHA-256".equals(hash) ? new SHA256Digest() : new SHA1Digest();
    Digest mgf = "SHA-256".equals(hash) ? new SHA256Digest() : new SHA1Digest();
    OAEPEncoding oaep = new OAEPEncoding(new Identity(k), digest, mgf, null);
    oaep.init(false, null);
    try {
      return oaep.processBlock(encodedMessage, 0, encodedMessage.length);
    } catch (InvalidCipherTextException | RuntimeException e) {
      throw new HsmException(HsmException.Reason.BAD_INPUT, "decryption failed");
    }
  }

  /**
   * The RSA step already happened on the token. Like BouncyCastle's RSA engine when decrypting,
   * hand OAEP the k-1 bytes after the leading zero octet.
   */
  private static final class Identity implements AsymmetricBlockCipher {
    private final int k;

    Identity(int k) {
      this.k = k;
    }

    @Override
    public void init(boolean forEncryption, CipherParameters param) {
    }

    @Override
    public int getInputBlockSize() {
      return k;
    }

    @Override
    public int getOutputBlockSize() {
      return k - 1;
    }

    @Override
    public byte[] processBlock(byte[] in, int inOff, int len) {
      byte[] full = new byte[k];
      System.arraycopy(in, inOff, full, k - len, len);
      return Arrays.copyOfRange(full, 1, k);
    }
  }
}
