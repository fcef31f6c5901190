package io.licensor.byok;

import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.hsm.GeneratedKey;
import io.licensor.hsm.HsmClient;
import io.licensor.hsm.HsmException;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.KeyRef;
import io.licensor.ids.Kid;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.security.PublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Bring your own key: key-exchange keys (KEKs) made in the HSM for one tenant id, and the import
 * of transfer files wrapped under them. The tenant key is unwrapped only inside the HSM and kept
 * as a non-extractable key token; every failure is a distinct 400 problem and stores nothing.
 */
public final class ByokService {

  private final KekStore keks;
  private final HsmClient hsm;
  private final long kekTtlSeconds;
  private final int maxKeks;
  private final AuditLog audit;

  public ByokService(KekStore keks, HsmClient hsm, AuditLog audit, long kekTtlSeconds, int maxKeks) {
    this.keks = keks;
    this.audit = audit;
    this.hsm = hsm;
    this.kekTtlSeconds = kekTtlSeconds;
    this.maxKeks = maxKeks;
  }

  /**
   * A fresh KEK bound to {@code tenantId} (which need not exist yet): {@code {kid, publicKeyPem,
   * algorithm, expiresAt}}. Expired KEKs are purged first; a tenant id holding {@code maxKeks}
   * unexpired ones gets 409 limit-reached, before the HSM generates anything.
   * Audited in the tenant's chain as {@code byok.kek}, {@code by} the caller.
   */
  public Future<JsonObject> createKek(String tenantId, String by, String requestId) {
    String kid = Kid.kek(tenantId, HexFormat.of().formatHex(randomBytes(8)));
    Instant expires = Instant.now().plusSeconds(kekTtlSeconds);
    return keks.purgeExpired()
        .compose(r -> keks.live(tenantId))
        .compose(live -> live >= maxKeks
            ? Future.<GeneratedKey>failedFuture(Problem.LIMIT_REACHED.with("tenant '" + tenantId + "' holds " + maxKeks
                + " unexpired key-exchange keys, the most it may (limits.maxKeks); use one, or wait for one to expire"))
            : hsm.generateKek())
        .compose(kek -> {
      String pem = pem(kek.publicKey());
      return keks.insert(kid, tenantId, kek.token(), pem, expires)
          .map(r -> new JsonObject().put("kid", kid).put("publicKeyPem", pem).put("algorithm", "RSA-4096")
              .put("expiresAt", expires.getEpochSecond()));
    }).compose(view -> audit.record(AuditEvent.now(tenantId, kid, by, "byok.kek", "ok", audit.node(), requestId, null))
        .map(view));
  }

  /** Imports a transfer file for {@code tenantId}; the key must be of {@code algorithm}. */
  public Future<GeneratedKey> importKey(String tenantId, KeyAlgorithm algorithm, Object file) {
    TransferFile transfer;
    try {
      transfer = TransferFile.parse(file);
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    return keks.find(transfer.kekKid()).compose(found -> {
      KekStore.StoredKek stored = found.orElse(null);
      if (stored == null || !stored.tenantId().equals(tenantId)) {
        return Future.failedFuture(Problem.BYOK_KEK_UNKNOWN.with("the file names key-exchange key '" + transfer.kekKid()
            + "', which this tenant does not have; request a KEK for this tenant and wrap the key for it"));
      }
      if (stored.expiresAt().isBefore(Instant.now())) {
        return Future.failedFuture(Problem.BYOK_KEK_EXPIRED.with("key-exchange key '" + transfer.kekKid()
            + "' expired; request a new one"));
      }
      KeyRef kek = new KeyRef(transfer.kekKid(), KeyAlgorithm.RSA_4096, stored.token());
      return hsm.importTransfer(kek, transfer.ciphertext(), transfer.oaepHash(), algorithm)
          .recover(err -> Future.failedFuture(err instanceof HsmException h ? problemOf(h) : err));
    });
  }

  private static Throwable problemOf(HsmException e) {
    return switch (e.reason()) {
      case TRANSFER_UNWRAP_FAILED -> Problem.BYOK_UNWRAP_FAILED.with(e.getMessage());
      case NOT_A_PRIVATE_KEY -> Problem.BYOK_NOT_A_PRIVATE_KEY.with(e.getMessage());
      case KEY_NOT_ALLOWED -> Problem.BYOK_KEY_NOT_ALLOWED.with(e.getMessage());
      default -> e;
    };
  }

  static String pem(PublicKey key) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded());
    return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }
}
