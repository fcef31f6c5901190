package io.licensor;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;

/** Reading key files for the CLI (customer side): PEM or DER, PKCS#8 or traditional. */
final class KeyFiles {

  private KeyFiles() {
  }

  static byte[] privateKeyPkcs8(Path file) throws IOException {
    byte[] raw = Files.readAllBytes(file);
    String text = new String(raw, StandardCharsets.US_ASCII);
    if (!text.contains("-----BEGIN")) {
      return PrivateKeyInfo.getInstance(raw).getEncoded();
    }
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      Object o = parser.readObject();
      if (o instanceof PrivateKeyInfo info) {
        return info.getEncoded();
      }
      if (o instanceof PEMKeyPair pair) {
        return pair.getPrivateKeyInfo().getEncoded();
      }
      throw new IOException(file + " holds no unencrypted private key");
    }
  }

  static PublicKey publicKey(Path file) throws IOException {
    try (PEMParser parser = new PEMParser(new StringReader(Files.readString(file, StandardCharsets.US_ASCII)))) {
      Object o = parser.readObject();
      if (o instanceof SubjectPublicKeyInfo info) {
        return new JcaPEMKeyConverter().getPublicKey(info);
      }
      throw new IOException(file + " holds no public key");
    }
  }
}
