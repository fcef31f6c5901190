package io.licensor.tls;

import java.util.List;
import java.util.Set;

/** What licensor's HTTPS server negotiates: TLS 1.2 and 1.3, forward-secret AEAD cipher suites only. */
public final class TlsPolicy {

  public static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  /** TLS 1.3's three, then TLS 1.2's ECDHE with AES-GCM or ChaCha20-Poly1305 (no CBC, no RSA key exchange). */
  public static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private TlsPolicy() {
  }

  /**
   * Refuses renegotiation a client starts (TLS 1.2; TLS 1.3 has none): each one costs the server a
   * full handshake. The JDK reads the setting when its first TLS server handshake runs, so this is
   * called before any server is created.
   */
  public static void refuseClientRenegotiation() {
    System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
  }
}
