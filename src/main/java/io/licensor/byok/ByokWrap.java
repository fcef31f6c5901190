package io.licensor.byok;

import org.bouncycastle.crypto.engines.AESWrapPadEngine;
import org.bouncycastle.crypto.params.KeyParameter;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;

/**
 * The customer's side of a BYOK transfer (what HSM vendors' tools do): a fresh AES-256 key,
 * RSA-OAEP-wrapped under the KEK's public key, then AES-KWP of the tenant key's PKCS#8 under it.
 * Used by {@code licensor byok wrap}; runs on the customer's machine, never in the server.
 */
public final class ByokWrap {

  public static final String GENERATOR = "licensor byok wrap 0.1.0";

  private ByokWrap() {
  }

  public static TransferFile wrap(byte[] pkcs8, PublicKey kek, String kekKid, String oaepHash)
      throws GeneralSecurityException {
    byte[] aesKey = new byte[32];
    new SecureRandom().nextBytes(aesKey);
    try {
      Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
      MGF1ParameterSpec mgf = "SHA-256".equals(oaepHash) ? MGF1ParameterSpec.SHA256 : MGF1ParameterSpec.SHA1;
      rsa.init(Cipher.ENCRYPT_MODE, kek, new OAEPParameterSpec(oaepHash, "MGF1", mgf, PSource.PSpecified.DEFAULT));
      byte[] wrappedKey = rsa.doFinal(aesKey);
      AESWrapPadEngine kwp = new AESWrapPadEngine();
      kwp.init(true, new KeyParameter(aesKey));
      byte[] wrappedPrivate = kwp.wrap(pkcs8, 0, pkcs8.length);
      byte[] ciphertext = new byte[wrappedKey.length + wrappedPrivate.length];
      System.arraycopy(wrappedKey, 0, ciphertext, 0, wrappedKey.length);
      System.arraycopy(wrappedPrivate, 0, ciphertext, wrappedKey.length, wrappedPrivate.length);
      return new TransferFile(kekKid, oaepHash, ciphertext, GENERATOR);
    } finally {
      Arrays.fill(aesKey, (byte) 0);
    }
  }
}
