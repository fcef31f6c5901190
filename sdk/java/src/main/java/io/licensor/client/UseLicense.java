package io.licensor.client;

import java.time.Instant;
import java.util.Set;

/**
 * A use license this client has verified (signature from the tenant's {@code jwks.json}, issuer,
 * content, its own key, time): who it is for, which rights, and until when it may be used without
 * asking the server again ({@link #keepUntil()}).
 *
 * @param compact the JWS as issued
 * @param kid the key that signed it: the version's ({@code contoso:3}) or a delegated one ({@code contoso:3.17})
 * @param versionKid the key version that protected the content ({@code contoso:3})
 * @param offlineAccessSeconds how long it may be used again without asking (0: always online)
 */
public record UseLicense(String compact, String kid, String versionKid, String tenant, String subject, String contentId,
    Set<Right> rights, Instant issuedAt, Instant expiresAt, long offlineAccessSeconds) {

  public UseLicense {
    rights = Set.copyOf(rights);
  }

  /** Whether the license gives this right ({@link Right#OWNER} gives every right). */
  public boolean grants(Right right) {
    return rights.contains(right) || rights.contains(Right.OWNER);
  }

  /** Signed by a short-lived delegated key (certified by the version's key), not by the version's key itself. */
  public boolean delegated() {
    return !kid.equals(versionKid);
  }

  /** Until when a client may keep using it without asking: {@code min(exp, iat + offlineAccessSeconds)}. */
  public Instant keepUntil() {
    Instant offline = issuedAt.plusSeconds(offlineAccessSeconds);
    return offline.isBefore(expiresAt) ? offline : expiresAt;
  }
}
