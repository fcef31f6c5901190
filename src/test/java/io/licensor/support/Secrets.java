package io.licensor.support;

import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Searches text (a backup, a database dump) for any trace of a private key's PKCS#8 bytes. */
public final class Secrets {

  private Secrets() {
  }

  /** Fails if any 24-byte run of the key shows in hex, base64 or base64url. */
  public static void assertNoPkcs8(String text, byte[] pkcs8) {
    assertThat(text).isNotEmpty();
    String lower = text.toLowerCase();
    String hex = HexFormat.of().formatHex(pkcs8);
    for (int i = 0; i + 48 <= hex.length(); i += 40) {
      assertThat(lower).doesNotContain(hex.substring(i, i + 48));
    }
    for (String b64 : List.of(Base64.getEncoder().encodeToString(pkcs8), Base64.getUrlEncoder().withoutPadding().encodeToString(pkcs8))) {
      for (int i = 0; i + 32 <= b64.length(); i += 24) {
        assertThat(text).doesNotContain(b64.substring(i, i + 32));
      }
    }
  }
}
