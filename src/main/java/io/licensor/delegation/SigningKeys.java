package io.licensor.delegation;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.util.Base64;
import io.licensor.hsm.HsmClient;
import io.licensor.hsm.HsmException;
import io.licensor.hsm.SigningKeyHandle;
import io.licensor.keys.KeyVersion;
import io.licensor.keys.KeyVersionState;
import io.licensor.tenants.KeyDirectory;
import io.licensor.tenants.TenantKeys;
import io.licensor.tenants.TenantState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's delegated use-license signing keys (SPEC §3): one current EC P-256 key per key
 * version it licenses, made in the HSM and certified by the version's key, so a use license costs
 * one operation of the version's key (the content key's unwrap) instead of two.
 * <ul>
 *   <li>A key is made once a version has licensed {@link #USES_BEFORE_DELEGATION} times here within
 *       a sweep period (those licenses are signed by the version's key), registered in PostgreSQL,
 *       and used only once every node's jwks.json lists it ({@link PublishedSigningKeys#REFRESH},
 *       twice over).</li>
 *   <li>It signs for {@code licensing.signingKeyLifetimeSeconds}; its successor is made before
 *       that ends. Its certificate covers the longest use license it could sign; once it retires,
 *       jwks.json lists it only until the last license it signed expires.</li>
 *   <li>It serves one revision of its tenant: any change to the tenant (a re-key, a cancellation, a
 *       destroyed version, a restore) retires it on this node as soon as the directory sees the
 *       change. Cancellation and destruction delete it from jwks.json in their own transaction, and
 *       so does a re-key campaign (after a compromise).</li>
 * </ul>
 * Whenever no key is ready (being made, the database unreachable, the HSM lost it) a license is
 * signed by the version's key, as without delegation: nothing fails for want of a delegated key.
 */
public final class SigningKeys {

  private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);
  /** Keys this node makes at once: each costs an operation of a version's key and a database write. */
  private static final int MAKING_AT_ONCE = 2;
  /** After a failed attempt, how long a version waits before the next. */
  private static final Duration RETRY = Duration.ofSeconds(5);
  /** Allowance for clocks: a certificate is valid from a minute before it was made. */
  private static final Duration SKEW = Duration.ofMinutes(1);
  private static final Duration SWEEP = Duration.ofSeconds(10);

  private final Vertx vertx;
  private final HsmClient hsm;
  private final SigningKeyStore store;
  private final KeyDirectory directory;
  private final PublishedSigningKeys published;
  private final String nodeId;
  private final boolean enabled;
  private final Duration lifetime;
  private final Duration maxLicenseTtl;
  /** How long after its last hand-out a retired key is kept, for the signatures already asked of it. */
  private final Duration grace;
  /** The native provider that checks certificates' signatures, or null for the JDK's. */
  private final Provider verifier;
  private final Map<String, Slot> slots = new ConcurrentHashMap<>();
  private final AtomicInteger making = new AtomicInteger();
  private volatile boolean warned;

  /**
   * Licenses a version signs with its own key on this node, within one sweep period, before a
   * delegated key is made for it. A key costs about what one license does (an operation of the
   * version's key, a database row, a jwks.json entry) and saves an operation of the version's key
   * on each license of its lifetime: a version licensed three times in ten seconds pays for its
   * key within the minute. The versions licensed once or twice in a sweep period (a drill, a
   * seldom-opened archive) do without. Under Zipf (s = 1) traffic over 10,000 tenants at 2,000
   * licenses/s, the versions past the threshold take about 72% of the licenses, where a threshold
   * of 8 left 62% (the share of the top 20,000 / (H(10,000) × threshold) tenants).
   */
  static final int USES_BEFORE_DELEGATION = 3;

  /** One key version's keys on this node; guarded by itself. */
  private static final class Slot {
    final List<SigningKey> keys = new ArrayList<>(2);
    boolean making;
    long retryAtMillis;
    int uses;
  }

  public SigningKeys(Vertx vertx, Pool pool, HsmClient hsm, KeyDirectory directory, String nodeId, boolean enabled,
                     int lifetimeSeconds, int maxLicenseTtlSeconds, int hsmTimeoutMs, Provider verifier) {
    this.vertx = vertx;
    this.verifier = verifier;
    this.hsm = hsm;
    this.store = new SigningKeyStore(pool);
    this.directory = directory;
    this.published = new PublishedSigningKeys(store);
    this.nodeId = nodeId;
    this.enabled = enabled;
    this.lifetime = Duration.ofSeconds(lifetimeSeconds);
    this.maxLicenseTtl = Duration.ofSeconds(maxLicenseTtlSeconds);
    this.grace = Duration.ofMillis(hsmTimeoutMs).plusSeconds(1);
  }

  /** Starts the periodic sweep (keys past their time, or of a tenant that changed) and the purge of the table. */
  public SigningKeys start() {
    if (enabled) {
      long period = SWEEP.toMillis();
      vertx.setPeriodic(period, period, t -> sweep());
      long purge = Duration.ofMinutes(10).toMillis();
      vertx.setPeriodic(purge, purge, t -> store.purge()
          .onFailure(err -> LOG.debug("purging expired signing keys failed: {}", err.toString())));
    }
    return this;
  }

  public boolean enabled() {
    return enabled;
  }

  /**
   * The delegated key to sign a use license of {@code version} with now, the tenant being at
   * {@code tenantRevision} as the request read it; empty: sign with the version's key. Starts
   * making a key when none is ready or the current one nears its end.
   */
  public Optional<SigningKey> forSigning(KeyVersion version, long tenantRevision) {
    if (!enabled) {
      return Optional.empty();
    }
    Instant now = Instant.now();
    Slot slot = slots.computeIfAbsent(version.kid(), k -> new Slot());
    SigningKey chosen = null;
    boolean make;
    synchronized (slot) {
      retireStale(slot, now, tenantRevision);
      for (SigningKey k : slot.keys) {
        if (!now.isBefore(k.usableFrom()) && (chosen == null || k.n() > chosen.n())) {
          chosen = k;
        }
      }
      SigningKey newest = slot.keys.isEmpty() ? null : slot.keys.get(slot.keys.size() - 1);
      boolean busy = newest != null || ++slot.uses >= USES_BEFORE_DELEGATION;
      make = busy && !slot.making && now.toEpochMilli() >= slot.retryAtMillis
          && (newest == null || !now.isBefore(newest.renewFrom()));
      if (make) {
        slot.making = true;
      }
    }
    if (make) {
      make(version, tenantRevision, slot);
    }
    return Optional.ofNullable(chosen);
  }

  /**
   * Signs a use license expiring at {@code expiresAt} (epoch seconds) with the key. A key the HSM
   * no longer holds (its sessions were lost) is dropped; the caller signs with the version's key.
   */
  public Future<byte[]> sign(SigningKey key, byte[] signingInput, long expiresAt) {
    key.signs(expiresAt);
    return hsm.signWithSigningKey(key.versionKid(), key.handle(), signingInput).onFailure(err -> {
      if (err instanceof HsmException h && h.reason() == HsmException.Reason.KEY_UNAVAILABLE) {
        LOG.info("the HSM no longer holds signing key {}; a new one will be made", key.kid());
        drop(key);
      }
    });
  }

  /**
   * The JWKs of the tenant's delegated keys jwks.json lists now (each with its certificate in
   * x5c); {@code tenantRevision}, the tenant's as the request read it.
   */
  public Future<List<JsonObject>> published(String tenantId, long tenantRevision) {
    return enabled ? published.of(tenantId, tenantRevision) : Future.succeededFuture(List.of());
  }

  /** Keys of this node in use now (for readiness and tests). */
  public int inUse() {
    int n = 0;
    for (Slot slot : slots.values()) {
      synchronized (slot) {
        n += slot.keys.size();
      }
    }
    return n;
  }

  private void make(KeyVersion version, long tenantRevision, Slot slot) {
    if (making.incrementAndGet() > MAKING_AT_ONCE) {
      making.decrementAndGet();
      synchronized (slot) {
        slot.making = false;
      }
      return;
    }
    hsm.generateSigningKey(version.kid())
        .compose(handle -> store.nextNumber()
            .compose(n -> certify(version, tenantRevision, handle, n))
            .compose(made -> store.register(made.key(), nodeId, made.jwk()).map(registered -> registered ? made.key() : null))
            .andThen(ar -> {
              if (ar.failed() || ar.result() == null) {
                hsm.destroySigningKey(handle.handle());
              }
            }))
        .onComplete(ar -> {
          making.decrementAndGet();
          synchronized (slot) {
            slot.making = false;
            if (ar.succeeded() && ar.result() != null) {
              if (slots.get(version.kid()) == slot) {
                slot.keys.add(ar.result());
              } else {
                retireLater(ar.result()); // the sweep dropped the slot meanwhile
              }
            } else if (ar.failed()) {
              slot.retryAtMillis = System.currentTimeMillis() + RETRY.toMillis();
            }
          }
          if (ar.succeeded() && ar.result() != null) {
            published.invalidate(version.tenantId());
            LOG.debug("signing key {} made, usable from {}", ar.result().kid(), ar.result().usableFrom());
          } else if (ar.failed()) {
            if (!warned) {
              warned = true;
              LOG.warn("could not make a delegated signing key for {} ({}); its use licenses are signed by the version's "
                  + "key meanwhile", version.kid(), ar.cause().toString());
            } else {
              LOG.debug("could not make a delegated signing key for {}: {}", version.kid(), ar.cause().toString());
            }
          }
        });
  }

  private record Made(SigningKey key, JsonObject jwk) {
  }

  /** The certificate, signed by the version's key in the HSM, checked here before the key is used. */
  private Future<Made> certify(KeyVersion version, long tenantRevision, SigningKeyHandle handle, long n) {
    Instant now = Instant.now();
    Instant signUntil = now.plus(lifetime);
    // a key's successor is made in its last tenth, and in use by the time it ends
    Instant renewFrom = signUntil.minus(lifetime.dividedBy(10));
    Instant notAfter = signUntil.plus(maxLicenseTtl).plus(SKEW);
    String kid = version.kid() + "." + n;
    return vertx.executeBlocking(() -> SigningKeyCertificate.toBeSigned(version.kid(), version.publicKey(),
            version.algorithm(), kid, n, handle.publicKey(), now.minus(SKEW), notAfter), false)
        .compose(tbs -> hsm.sign(version.keyRef(), tbs)
            .compose(signature -> vertx.executeBlocking(() -> {
              byte[] der = SigningKeyCertificate.assemble(tbs, version.algorithm(), signature);
              X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(der));
              verify(certificate, version.publicKey());
              String x5c = Base64.encode(der).toString();
              JsonObject jwk = new JsonObject(new ECKey.Builder(Curve.P_256, handle.publicKey()).keyID(kid)
                  .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).x509CertChain(List.of(new Base64(x5c)))
                  .build().toJSONObject());
              SigningKey key = new SigningKey(version.tenantId(), version.version(), n, tenantRevision, handle.handle(), x5c,
                  Instant.now().plus(PublishedSigningKeys.REFRESH.multipliedBy(2)), renewFrom, signUntil, notAfter);
              return new Made(key, jwk);
            }, false)));
  }

  /**
   * The HSM's signature on a new certificate checked before the key is used, on the native provider
   * where there is one: on the JDK's, under Zipf traffic over 10,000 EC tenants, this check alone
   * took a tenth of the node's CPU (docs/performance.md).
   */
  private void verify(X509Certificate certificate, PublicKey key) throws GeneralSecurityException {
    if (verifier != null) {
      try {
        certificate.verify(key, verifier);
        return;
      } catch (NoSuchAlgorithmException e) {
        // the native provider does not offer this signature algorithm: the JDK's
      }
    }
    certificate.verify(key);
  }

  /** Retires the slot's keys that may sign no more: past their time, or of another revision of the tenant. */
  private void retireStale(Slot slot, Instant now, long tenantRevision) {
    for (Iterator<SigningKey> it = slot.keys.iterator(); it.hasNext(); ) {
      SigningKey k = it.next();
      if (k.tenantRevision() != tenantRevision || !now.isBefore(k.signUntil())) {
        it.remove();
        retireLater(k);
      }
    }
  }

  private void drop(SigningKey key) {
    Slot slot = slots.get(key.versionKid());
    if (slot != null) {
      synchronized (slot) {
        if (slot.keys.remove(key)) {
          retireLater(key);
        }
      }
    }
  }

  /** Once the signatures already asked of it are done: destroyed in the HSM, and listed as long as its licenses need. */
  private void retireLater(SigningKey key) {
    vertx.setTimer(grace.toMillis(), t -> {
      hsm.destroySigningKey(key.handle());
      long latest = key.latestExpiry();
      Instant listedUntil = latest == 0 ? Instant.now() : Instant.ofEpochSecond(latest).plus(SKEW);
      store.retire(key, listedUntil.isAfter(key.notAfter()) ? key.notAfter() : listedUntil)
          .onSuccess(v -> published.invalidate(key.tenantId()))
          .onFailure(err -> LOG.debug("retiring signing key {} failed ({}): it stays listed until {}", key.kid(),
              err.toString(), key.notAfter()));
      LOG.debug("signing key {} retired", key.kid());
    });
  }

  /** Retires the keys of versions no longer licensable here, or of tenants that changed; forgets idle slots. */
  private void sweep() {
    Instant now = Instant.now();
    for (Map.Entry<String, Slot> e : slots.entrySet()) {
      String versionKid = e.getKey();
      int colon = versionKid.lastIndexOf(':');
      String tenantId = versionKid.substring(0, colon);
      int version = Integer.parseInt(versionKid.substring(colon + 1));
      Optional<TenantKeys> t = directory.cached(tenantId);
      boolean usable = t.isPresent() && t.get().tenant().state() == TenantState.ACTIVE
          && t.get().version(version).map(v -> v.state() != KeyVersionState.DESTROYED).orElse(false);
      Slot slot = e.getValue();
      synchronized (slot) {
        if (usable) {
          retireStale(slot, now, t.get().revision());
        } else {
          slot.keys.forEach(this::retireLater);
          slot.keys.clear();
        }
        if (slot.keys.isEmpty() && !slot.making) {
          slots.remove(versionKid, slot);
        }
      }
    }
    published.sweep();
  }
}
