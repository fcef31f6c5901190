package io.licensor.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.function.Consumer;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The chain: each record's hash covers its sequence number, its fields and the previous record's
 * hash, each field length-prefixed so no two records can encode alike. Records are chained with
 * HMAC-SHA256 under a key derived from the security world ({@code licensor-audit/2}): whoever can
 * write to the database but does not hold the world cannot make a record that verifies. Records
 * from before the key ({@code licensor-audit/1}) are plain SHA-256, and verify as such up to the
 * tenant's {@code keyed_from}, itself under a MAC.
 */
public final class AuditChain {

  /** The {@code prev_hash} of a tenant's first record. */
  public static final String GENESIS = "0".repeat(64);

  /** What the world MAC derives the chain key from (never the key itself). */
  public static final byte[] KEY_LABEL = "licensor audit chain key/1".getBytes(StandardCharsets.US_ASCII);

  private final byte[] key;

  /** A chain keyed with {@code key} (32 bytes derived from the world; kept only in memory). */
  public AuditChain(byte[] key) {
    this.key = key.clone();
  }

  /** A record's keyed hash. */
  public String keyed(AuditEvent e, long seq, String prevHash) {
    Mac mac = mac();
    record(mac::update, "licensor-audit/2", e, seq, prevHash);
    return HexFormat.of().formatHex(mac.doFinal());
  }

  /** A MAC over labelled values (a chain's keyed_from, a verified checkpoint). */
  public String mac(String label, String... values) {
    Mac mac = mac();
    field(mac::update, label);
    for (String v : values) {
      field(mac::update, v);
    }
    return HexFormat.of().formatHex(mac.doFinal());
  }

  /** Whether {@code claimed} is the MAC of these values (constant time). */
  public boolean verifies(String claimed, String label, String... values) {
    return claimed != null && MessageDigest.isEqual(claimed.getBytes(StandardCharsets.US_ASCII),
        mac(label, values).getBytes(StandardCharsets.US_ASCII));
  }

  private Mac mac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException ex) {
      throw new IllegalStateException(ex);
    }
  }

  /** A record's hash from before the chain was keyed (plain SHA-256): verified, never written any more. */
  public static String hash(AuditEvent e, long seq, String prevHash) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
    record(sha::update, "licensor-audit/1", e, seq, prevHash);
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void record(Consumer<byte[]> sha, String domain, AuditEvent e, long seq, String prevHash) {
    field(sha, domain);
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
  }

  static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  /** A field, length-prefixed (a null is five zero bytes), into a digest or a MAC. */
  private static void field(Consumer<byte[]> sha, String value) {
    if (value == null) {
      sha.accept(new byte[] {0, 0, 0, 0, 0});
      return;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    sha.accept(new byte[] {1, (byte) (bytes.length >>> 24), (byte) (bytes.length >>> 16), (byte) (bytes.length >>> 8),
        (byte) bytes.length});
    sha.accept(bytes);
  }
}
