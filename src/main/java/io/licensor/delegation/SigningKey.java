package io.licensor.delegation;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A delegated use-license signing key as this node holds it: its kid ({@code tenant:version.n}),
 * the HSM's handle for its private half, its certificate (the UL header's {@code x5c}), the
 * tenant revision it serves, and when it may sign. It also tracks the latest expiry of the use
 * licenses it signed, so that once it retires jwks.json lists it no longer than they need.
 */
public final class SigningKey {

  private final String kid;
  private final String versionKid;
  private final String tenantId;
  private final int version;
  private final long n;
  private final long tenantRevision;
  private final String handle;
  private final String x5c;
  private final Instant usableFrom;
  private final Instant renewFrom;
  private final Instant signUntil;
  private final Instant notAfter;
  private final AtomicLong latestExpiry = new AtomicLong();

  SigningKey(String tenantId, int version, long n, long tenantRevision, String handle, String x5c, Instant usableFrom,
             Instant renewFrom, Instant signUntil, Instant notAfter) {
    this.kid = tenantId + ":" + version + "." + n;
    this.versionKid = tenantId + ":" + version;
    this.tenantId = tenantId;
    this.version = version;
    this.n = n;
    this.tenantRevision = tenantRevision;
    this.handle = handle;
    this.x5c = x5c;
    this.usableFrom = usableFrom;
    this.renewFrom = renewFrom;
    this.signUntil = signUntil;
    this.notAfter = notAfter;
  }

  /** {@code tenant:version.n}: the UL header's kid, and the JWK's in jwks.json. */
  public String kid() {
    return kid;
  }

  /** The kid of the key version that certified it. */
  public String versionKid() {
    return versionKid;
  }

  /** Its certificate, base64 (not base64url) DER, as the JWS {@code x5c} header carries it. */
  public String x5c() {
    return x5c;
  }

  String tenantId() {
    return tenantId;
  }

  int version() {
    return version;
  }

  long n() {
    return n;
  }

  long tenantRevision() {
    return tenantRevision;
  }

  String handle() {
    return handle;
  }

  Instant usableFrom() {
    return usableFrom;
  }

  Instant renewFrom() {
    return renewFrom;
  }

  Instant signUntil() {
    return signUntil;
  }

  Instant notAfter() {
    return notAfter;
  }

  /** Counts a use license it is about to sign that expires at {@code epochSecond}. */
  void signs(long epochSecond) {
    latestExpiry.accumulateAndGet(epochSecond, Math::max);
  }

  /** The latest expiry (epoch seconds) of the use licenses it signed; 0 if none. */
  long latestExpiry() {
    return latestExpiry.get();
  }

  @Override
  public String toString() {
    return kid;
  }
}
