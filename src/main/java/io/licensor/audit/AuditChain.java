package io.licensor.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The hash chain: each record's hash is SHA-256 over its sequence number, its fields and the
 * previous record's hash, each field length-prefixed so no two records can encode alike.
 */
public final class AuditChain {

  /** The {@code prev_hash} of a tenant's first record. */
  public static final String GENESIS = "0".repeat(64);

  private AuditChain() {
  }

  public static String hash(AuditEvent e, long seq, String prevHash) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
    field(sha, "licensor-audit/1");
    field(sha, e.tenantId());
    field(sha, Long.toString(seq));
    field(sha, Long.toString(micros(e.at())));
    field(sha, e.kid());
    field(sha, e.principal());
    field(sha, e.action());
    field(sha, e.outcome());
    field(sha, e.node());
    field(sha, e.requestId());
    field(sha, e.detail());
    field(sha, prevHash);
    return HexFormat.of().formatHex(sha.digest());
  }

  static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  private static void field(MessageDigest sha, String value) {
    if (value == null) {
      sha.update(new byte[] {0, 0, 0, 0, 0});
      return;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    sha.update((byte) 1);
    sha.update(new byte[] {(byte) (bytes.length >>> 24), (byte) (bytes.length >>> 16), (byte) (bytes.length >>> 8),
        (byte) bytes.length});
    sha.update(bytes);
  }
}
