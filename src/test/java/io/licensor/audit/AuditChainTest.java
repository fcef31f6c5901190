package io.licensor.audit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The audit chain's keyed hashes and MACs (no node, no database: the chain alone). */
@DisplayName("The audit chain binds every field of a record, its place and its key")
class AuditChainTest {

  private static byte[] key(int fill) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) fill);
    return k;
  }

  private static final Instant AT = Instant.parse("2026-12-01T10:00:00.123456Z");
  private static final AuditEvent EVENT = new AuditEvent("contoso", AT, "contoso:1", "alice@contoso.com", "license.issued",
      "ok", "node-a", "req-1", "{\"rights\":[\"VIEW\"]}");

  @Test
  @DisplayName("a change to any field, the sequence number or the previous hash gives another hash")
  void everyFieldCounts() {
    AuditChain chain = new AuditChain(key(1));
    String base = chain.keyed(EVENT, 7, AuditChain.GENESIS);
    List<String> variants = List.of(
        chain.keyed(new AuditEvent("fabrikam", AT, "contoso:1", "alice@contoso.com", "license.issued", "ok", "node-a", "req-1",
            EVENT.detail()), 7, AuditChain.GENESIS),
        chain.keyed(new AuditEvent("contoso", AT.plusNanos(1000), "contoso:1", "alice@contoso.com", "license.issued", "ok",
            "node-a", "req-1", EVENT.detail()), 7, AuditChain.GENESIS),
        chain.keyed(new AuditEvent("contoso", AT, "contoso:2", "alice@contoso.com", "license.issued", "ok", "node-a", "req-1",
            EVENT.detail()), 7, AuditChain.GENESIS),
        chain.keyed(EVENT.withOutcome("withheld"), 7, AuditChain.GENESIS),
        chain.keyed(new AuditEvent("contoso", AT, "contoso:1", "alice@contoso.com", "license.issued", "ok", "node-a", "req-1",
            null), 7, AuditChain.GENESIS),
        chain.keyed(EVENT, 8, AuditChain.GENESIS),
        chain.keyed(EVENT, 7, "1".repeat(64)));
    Set<String> all = new HashSet<>(variants);
    all.add(base);
    assertThat(all).hasSize(variants.size() + 1);
    assertThat(chain.keyed(EVENT, 7, AuditChain.GENESIS)).isEqualTo(base);
  }

  @Test
  @DisplayName("fields cannot be shifted into each other: 'ab'+'c' and 'a'+'bc' hash apart, as do null and empty")
  void fieldsAreDelimited() {
    AuditChain chain = new AuditChain(key(1));
    AuditEvent left = new AuditEvent("contoso", AT, "ab", "c", "x", "ok", "n", "r", null);
    AuditEvent right = new AuditEvent("contoso", AT, "a", "bc", "x", "ok", "n", "r", null);
    AuditEvent empty = new AuditEvent("contoso", AT, "ab", "c", "x", "ok", "n", "r", "");
    assertThat(chain.keyed(left, 1, AuditChain.GENESIS)).isNotEqualTo(chain.keyed(right, 1, AuditChain.GENESIS))
        .isNotEqualTo(chain.keyed(empty, 1, AuditChain.GENESIS));
  }

  @Test
  @DisplayName("only the world's key makes the keyed hash and the MACs: another key, or the plain hash, does not verify")
  void keyed() {
    AuditChain ours = new AuditChain(key(1));
    AuditChain theirs = new AuditChain(key(2));
    assertThat(ours.keyed(EVENT, 1, AuditChain.GENESIS)).isNotEqualTo(theirs.keyed(EVENT, 1, AuditChain.GENESIS))
        .isNotEqualTo(AuditChain.hash(EVENT, 1, AuditChain.GENESIS));
    String mac = ours.mac("verified", "contoso", "12", "abc");
    assertThat(ours.verifies(mac, "verified", "contoso", "12", "abc")).isTrue();
    assertThat(ours.verifies(mac, "verified", "contoso", "13", "abc")).isFalse();
    assertThat(theirs.verifies(mac, "verified", "contoso", "12", "abc")).isFalse();
    assertThat(ours.verifies(null, "verified", "contoso", "12", "abc")).isFalse();
  }

  @Test
  @DisplayName("the chain keeps its own copy of the key: zeroing the caller's array changes nothing")
  void keyIsCopied() {
    byte[] k = key(3);
    AuditChain chain = new AuditChain(k);
    String before = chain.keyed(EVENT, 1, AuditChain.GENESIS);
    Arrays.fill(k, (byte) 0);
    assertThat(chain.keyed(EVENT, 1, AuditChain.GENESIS)).isEqualTo(before);
  }
}
