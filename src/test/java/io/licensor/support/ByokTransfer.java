package io.licensor.support;

import io.vertx.core.json.JsonObject;

import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.security.KeyFactory;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** The customer's side of a BYOK transfer, done with the JDK alone (CKM_RSA_AES_KEY_WRAP: RSA-OAEP-SHA256 of an AES key, then AES-KWP of the PKCS#8). */
public final class ByokTransfer {

  private ByokTransfer() {
  }

  /** A transfer file for {@code kek} (the answer of {@code POST .../byok/kek}) holding {@code pkcs8}. */
  public static JsonObject file(JsonObject kek, byte[] pkcs8) throws Exception {
    String pem = kek.getString("publicKeyPem").replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    var kekKey = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
    KeyGenerator aes = KeyGenerator.getInstance("AES");
    aes.init(256);
    SecretKey transfer = aes.generateKey();
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(Cipher.ENCRYPT_MODE, kekKey, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    byte[] a = oaep.doFinal(transfer.getEncoded());
    Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding");
    kwp.init(Cipher.ENCRYPT_MODE, transfer);
    byte[] b = kwp.doFinal(pkcs8);
    byte[] ciphertext = new byte[a.length + b.length];
    System.arraycopy(a, 0, ciphertext, 0, a.length);
    System.arraycopy(b, 0, ciphertext, a.length, b.length);
    return new JsonObject().put("schema_version", "1.0.0")
        .put("header", new JsonObject().put("kid", kek.getString("kid")).put("alg", "dir").put("enc", "CKM_RSA_AES_KEY_WRAP")
            .put("oaep_hash", "SHA-256"))
        .put("ciphertext", Base64.getUrlEncoder().withoutPadding().encodeToString(ciphertext)).put("generator", "test");
  }
}
