package io.licensor.licensing;

import io.licensor.rights.Right;
import io.licensor.rights.Grant;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.delegation.SigningKey;
import io.licensor.delegation.SigningKeys;
import io.licensor.errors.Problem;
import io.licensor.errors.ProblemException;
import io.licensor.hsm.HsmClient;
import io.licensor.hsm.HsmException;
import io.licensor.hsm.SoftwareCrypto;
import io.licensor.identity.Principal;
import io.licensor.keys.KeyVersion;
import io.licensor.tenants.KeyDirectory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * Publishing and licensing. The hot path of a license: read the PL's kid → the key directory
 * picks the version (current or retained) → the HSM unwraps the content-encryption key → policy
 * check and use-license assembly on a worker thread → the HSM signs → response. Private-key work
 * happens only in the HSM workers; other crypto (AES-GCM, the recipient's JWE) on worker threads.
 */
public final class LicensingService {

  private final Vertx vertx;
  private final KeyDirectory directory;
  private final HsmClient hsm;
  private final AuditLog audit;
  private final SigningKeys signingKeys;
  private final JweEncryption jwe;
  private final Entitlements entitlements;

  /** {@code crypto}: the provider of the public-key work around the HSM's (publishing licenses, the recipient's JWE). */
  public LicensingService(Vertx vertx, KeyDirectory directory, HsmClient hsm, SigningKeys signingKeys, SoftwareCrypto crypto,
                          AuditLog audit, long defaultTtlSeconds, long maxTtlSeconds) {
    this.vertx = vertx;
    this.jwe = new JweEncryption(crypto);
    this.signingKeys = signingKeys;
    this.audit = audit;
    this.directory = directory;
    this.hsm = hsm;
    this.entitlements = new Entitlements(directory, defaultTtlSeconds, maxTtlSeconds);
  }

  /** A publishing license made online, with the kid of the version that protects it. */
  public record Published(String publishingLicense, String kid) {
  }

  /** An issued use license. */
  public record Issued(String useLicense, String kid, Set<Right> rights, long expiresAt, long offlineAccessSeconds,
                       String currentKid) {
  }

  /**
   * How long a use license of content whose offline access is 0 ("always online") lives: long
   * enough to open the content once, with clock skew; the client keeps no copy of it
   * ({@code offlineAccessSeconds} 0 in the license says so).
   */
  public static final long ONLINE_ONLY_SECONDS = 60;

  public Future<Published> publish(Principal user, String tenantId, JsonObject body, String requestId) {
    return publish(user, tenantId, body, requestId, directory.leaseStamp());
  }

  /** {@code leaseStamp}: the directory's {@link KeyDirectory#leaseStamp} when the request began. */
  public Future<Published> publish(Principal user, String tenantId, JsonObject body, String requestId, long leaseStamp) {
    Facts facts = new Facts();
    facts.contentId = body.getValue("contentId") instanceof String s && s.length() <= 256 ? s : null;
    return audited(publish(user, tenantId, body, leaseStamp), tenantId, user, "publish", requestId, Published::kid, () -> null,
        facts);
  }

  public Future<Issued> license(Principal user, String tenantId, JsonObject body, String requestId) {
    return license(user, tenantId, body, requestId, directory.leaseStamp());
  }

  /** {@code leaseStamp}: the directory's {@link KeyDirectory#leaseStamp} when the request began. */
  public Future<Issued> license(Principal user, String tenantId, JsonObject body, String requestId, long leaseStamp) {
    Facts facts = new Facts();
    return audited(license(user, tenantId, body, leaseStamp, facts), tenantId, user, "license", requestId, Issued::kid,
        () -> body.getValue("publishingLicense") instanceof String s ? kidOf(s) : null, facts);
  }

  /**
   * Proves a key version works end to end (for {@code licensor dr-drill}): seals a publishing
   * license under its public key, licenses it through the normal path as a synthetic user, and
   * verifies the use license's signature with the version's public key (directly, or through the
   * certificate of the delegated key that signed it).
   */
  public Future<String> selfTest(String tenantId, KeyVersion version) {
    Principal drill = new Principal("dr-drill@licensor.invalid", "licensor:dr-drill", tenantId, Set.of(), Set.of(), false);
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Policy anyone = new Policy(List.of(new Grant("*", Set.of(Right.VIEW))), null, 300L);
    PublishingLicenseContent content = new PublishingLicenseContent("dr-drill", drill.subject(),
        Instant.now().getEpochSecond(), key, anyone);
    return vertx.executeBlocking(() -> {
          ECKey recipient = new ECKeyGenerator(Curve.P_256)
              .generate();
          return new JsonObject().put("publishingLicense", PublishingLicenses.seal(version, content, jwe))
              .put("recipientKey", new JsonObject(recipient.toPublicJWK().toJSONObject()));
        }, false)
        .compose(body -> license(drill, tenantId, body, "dr-drill"))
        .compose(issued -> vertx.executeBlocking(() -> {
          if (!UseLicenseVerification.verifies(issued.useLicense(), version)) {
            throw new IllegalStateException("the use license of " + version.kid() + " does not verify");
          }
          return version.kid();
        }, false));
  }

  /**
   * Records the outcome of a key use. An issued license or publishing license is answered once its
   * record is durable (audit.keyUseDurable, the default), so every answer is in the audit across
   * kill -9; a refusal's record is queued, not awaited. If the audit queue is full the request fails
   * 503 audit-unavailable instead of going unrecorded.
   */
  private <T> Future<T> audited(Future<T> work, String tenantId, Principal user, String action, String requestId,
                                Function<T, String> kidOf,
                                Supplier<String> requestedKid, Facts facts) {
    return work.transform(ar -> {
      // the document, once known (a license request's is known once its publishing license opened): its usage is read by it
      String detail = documentDetail(facts.contentId);
      if (ar.succeeded()) {
        // a super user's license says so, in the outcome: listed for the tenant's admins
        return audit.recordKeyUse(AuditEvent.now(tenantId, kidOf.apply(ar.result()), user.subject(), action + ".issued",
            facts.superUser ? SUPER_USER_OUTCOME : "ok", audit.node(), requestId, detail)).map(ar.result());
      }
      if (ar.cause() instanceof ProblemException p && p.problem() != Problem.HSM_BUSY) {
        audit.recordKeyUse(AuditEvent.now(tenantId, requestedKid.get(), user.subject(), action + ".denied", p.problem().slug(),
            audit.node(), requestId, detail));
      }
      return Future.failedFuture(ar.cause());
    });
  }

  /** The outcome of a super user's license in the audit (instead of {@code ok}). */
  public static final String SUPER_USER_OUTCOME = "super-user";

  /** What a request learns on its way, for its audit record: the document, and whether a super user was licensed. */
  private static final class Facts {
    volatile String contentId;
    volatile boolean superUser;
  }

  /** The detail a key-use record of one document carries: exactly {@code {"contentId": ...}}, which its usage read matches. */
  public static String documentDetail(String contentId) {
    return contentId == null ? null : new JsonObject().put("contentId", contentId).encode();
  }

  /** A publishing license of this tenant, its header read (nothing decrypted); 400, or 403 wrong-tenant for another's. */
  private static ParsedPublishingLicense parseFor(String tenantId, String compact) {
    ParsedPublishingLicense pl = PublishingLicenses.parse(compact);
    if (!pl.tenantId().equals(tenantId)) {
      throw Problem.WRONG_TENANT.with("the publishing license belongs to another tenant");
    }
    return pl;
  }

  /** The kid a publishing license names, if its header reads, for the audit of a refusal. */
  private static String kidOf(String compact) {
    try {
      String kid = PublishingLicenses.parse(compact).kid();
      return kid;
    } catch (RuntimeException e) {
      return null;
    }
  }

  private Future<Published> publish(Principal user, String tenantId, JsonObject body, long stamp) {
    String contentId;
    Policy policy;
    byte[] contentKey;
    try {
      contentId = PublishingLicenseContent.contentId(body.getValue("contentId"));
      policy = Policy.fromJson(body.getValue("policy"));
      contentKey = PublishingLicenseContent.contentKey(body.getValue("contentKey"));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(Problem.INVALID_REQUEST.with(e.getMessage()));
    }
    PublishingLicenseContent content =
        new PublishingLicenseContent(contentId, user.subject(), Instant.now().getEpochSecond(), contentKey, policy);
    return directory.activeForPublishing(tenantId)
        .compose(version -> {
          entitlements.requirePublishable(user, tenantId, policy);
          return Future.succeededFuture(version);
        })
        .compose(version -> vertx.executeBlocking(() -> {
          try {
            return new Published(PublishingLicenses.seal(version, content, jwe), version.kid());
          } finally {
            content.destroy();
          }
        }, false))
        .compose(published -> directory.recheck(tenantId, 0, stamp).map(published));
  }

  /**
   * The key version the publishing license of a license request names, if the request is one
   * (read from the JWE header, nothing decrypted): what tells a cancelled tenant's client that its
   * content's version is destroyed for good (410) rather than waiting for a reactivation (403).
   */
  public static java.util.OptionalInt versionNamed(JsonObject body) {
    try {
      return body.getValue("publishingLicense") instanceof String compact
          ? java.util.OptionalInt.of(PublishingLicenses.parse(compact).version()) : java.util.OptionalInt.empty();
    } catch (RuntimeException e) {
      return java.util.OptionalInt.empty();
    }
  }

  private Future<Issued> license(Principal user, String tenantId, JsonObject body, long stamp, Facts facts) {
    if (!(body.getValue("publishingLicense") instanceof String compact) || compact.isBlank()) {
      return Future.failedFuture(Problem.INVALID_REQUEST.with("publishingLicense must be a JWE compact string"));
    }
    ParsedPublishingLicense pl;
    JWK recipient;
    try {
      pl = parseFor(tenantId, compact);
      recipient = RecipientKeys.parse(body.getValue("recipientKey"));
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    return directory.versionForLicensing(tenantId, pl.version())
        .compose(version -> unwrapContentEncryptionKey(pl, version)
            .compose(cek -> vertx.executeBlocking(() -> prepare(user, pl, version, cek, recipient, tenantId, facts), false))
            .compose(unsigned -> sign(version, unsigned)
                .map(useLicense -> new Issued(useLicense, unsigned.kid(), unsigned.rights(), unsigned.expiresAt(),
                    unsigned.offlineAccessSeconds(), currentKid(tenantId))))
            .compose(issued -> directory.recheck(tenantId, pl.version(), stamp).map(issued))
            // and once more as the answer is made: a revocation that reached this node meanwhile counts
            .map(issued -> {
              requireNotRevoked(tenantId, facts.contentId);
              return issued;
            }));
  }

  /**
   * Re-publishes a document (issue 23, item 5): its publisher sends the publishing license it has
   * ({@code publishingLicense}, under any version still licensable) and, if the policy changes, the
   * new {@code policy}; the answer is a publishing license under the tenant's current key version with
   * the same content id and content key, so the edited file is protected as the same document — its
   * tracking and revocation follow it. Only the document's publisher; audited as a publish of it.
   */
  public Future<Published> republish(Principal user, String tenantId, JsonObject body, String requestId, long leaseStamp) {
    Facts facts = new Facts();
    return audited(republish(user, tenantId, body, leaseStamp, facts), tenantId, user, "publish", requestId, Published::kid,
        () -> body.getValue("publishingLicense") instanceof String s ? kidOf(s) : null, facts);
  }

  private Future<Published> republish(Principal user, String tenantId, JsonObject body, long stamp, Facts facts) {
    ParsedPublishingLicense pl;
    Policy newPolicy;
    try {
      for (String field : body.fieldNames()) {
        if (!field.equals("publishingLicense") && !field.equals("policy")) {
          throw Problem.INVALID_REQUEST.with(field + " is not a member of a re-publication ({publishingLicense, policy})");
        }
      }
      if (!(body.getValue("publishingLicense") instanceof String compact) || compact.isBlank()) {
        throw Problem.INVALID_REQUEST.with("publishingLicense (the document's current one) is required");
      }
      pl = parseFor(tenantId, compact);
      newPolicy = body.containsKey("policy") ? Policy.fromJson(body.getValue("policy")) : null;
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(Problem.INVALID_REQUEST.with(e.getMessage()));
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    return directory.versionForLicensing(tenantId, pl.version())
        .compose(version -> unwrapContentEncryptionKey(pl, version))
        .compose(cek -> directory.activeForPublishing(tenantId).compose(current -> vertx.executeBlocking(() -> {
          PublishingLicenseContent old = PublishingLicenses.open(pl, cek);
          PublishingLicenseContent next = null;
          try {
            facts.contentId = old.contentId();
            if (!old.publisher().equals(user.subject())) {
              throw Problem.FORBIDDEN.with("only the document's publisher (" + old.publisher() + ") may re-publish it");
            }
            // re-publishing is publishing: the template it keeps or names must be one the publisher may publish with now
            entitlements.requirePublishable(user, tenantId, newPolicy != null ? newPolicy : old.policy());
            next = new PublishingLicenseContent(old.contentId(), old.publisher(), Instant.now().getEpochSecond(),
                old.contentKey(), newPolicy != null ? newPolicy : old.policy());
            return new Published(PublishingLicenses.seal(current, next, jwe), current.kid());
          } finally {
            old.destroy();
            if (next != null) {
              next.destroy();
            }
          }
        }, false)))
        .compose(published -> directory.recheck(tenantId, 0, stamp).map(published));
  }

  /** Which document a publishing license is for, and who published it (read from its sealed content). */
  public record DocumentOrigin(String contentId, String publisher) {
  }

  /**
   * The content id and publisher a publishing license of this tenant names: its content key
   * unwrapped in the HSM under the version it names, its content opened (on a worker), only those
   * two read; the content key is wiped. 400 publishing-license-invalid if it is not this tenant's
   * or does not open. What lets a document's publisher act on it (revoke it) without being an admin.
   */
  public Future<DocumentOrigin> origin(String tenantId, String compact) {
    ParsedPublishingLicense pl;
    try {
      pl = parseFor(tenantId, compact);
    } catch (ProblemException e) {
      return Future.failedFuture(e);
    }
    return directory.versionForLicensing(tenantId, pl.version())
        .compose(version -> unwrapContentEncryptionKey(pl, version))
        .compose(cek -> vertx.executeBlocking(() -> {
          PublishingLicenseContent content = PublishingLicenses.open(pl, cek);
          try {
            return new DocumentOrigin(content.contentId(), content.publisher());
          } finally {
            content.destroy();
          }
        }, false));
  }

  /**
   * 403 content-revoked if the tenant, as this node knows it now, has the document revoked: a set
   * lookup in the cached tenant, no database round trip (the list comes with the tenant's load).
   */
  private void requireNotRevoked(String tenantId, String contentId) {
    if (directory.cached(tenantId).map(t -> t.revoked(contentId)).orElse(false)) {
      throw Problem.CONTENT_REVOKED.with("document " + contentId + " was revoked by its publisher or the tenant's "
          + "administrators: it is licensed to no one");
    }
  }

  /**
   * Signs the use license: with this node's delegated key for the version where one is ready
   * (one private-key operation of the version's key per license instead of two), else, or if the
   * HSM lost that key, with the version's key.
   */
  private Future<String> sign(KeyVersion version, UseLicenses.Unsigned unsigned) {
    Optional<SigningKey> delegated = directory.cached(version.tenantId())
        .flatMap(t -> signingKeys.forSigning(version, t.revision()));
    if (delegated.isEmpty()) {
      return signWithVersion(version, unsigned);
    }
    SigningKey key = delegated.get();
    String input = unsigned.signingInput(UseLicenses.delegatedHeader(key.kid(), key.x5c()));
    return signingKeys.sign(key, PublishingLicenses.ascii(input), unsigned.expiresAt())
        .map(signature -> UseLicenses.complete(input, signature))
        .recover(err -> err instanceof HsmException h && h.reason() == HsmException.Reason.KEY_UNAVAILABLE
            ? signWithVersion(version, unsigned) : Future.failedFuture(err));
  }

  private Future<String> signWithVersion(KeyVersion version, UseLicenses.Unsigned unsigned) {
    String input = unsigned.signingInput(UseLicenses.header(version));
    return hsm.sign(version.keyRef(), PublishingLicenses.ascii(input)).map(signature -> UseLicenses.complete(input, signature));
  }

  private Future<SecretKey> unwrapContentEncryptionKey(ParsedPublishingLicense pl, KeyVersion version) {
    JWEAlgorithm alg = pl.jwe().getHeader().getAlgorithm();
    if (!alg.getName().equals(version.algorithm().jweAlgorithm())) {
      return Future.failedFuture(PublishingLicenses.invalid(
          "alg " + alg.getName() + " does not match key version " + version.kid() + " (" + version.algorithm().wireName() + ")"));
    }
    Future<SecretKey> cek;
    if (version.algorithm().isRsa()) {
      cek = hsm.decryptOaepSha256(version.keyRef(), Base64Url.decode(pl.jwe().getEncryptedKey()))
          .map(bytes -> {
            SecretKey key = new SecretKeySpec(bytes, "AES");
            Arrays.fill(bytes, (byte) 0);
            return key;
          });
    } else {
      cek = Future.succeededFuture(PublishingLicenses.ephemeralKey(pl, version))
          .compose(epk -> hsm.agree(version.keyRef(), epk))
          .map(z -> PublishingLicenses.cekFromAgreement(pl, z));
    }
    return cek.recover(err -> Future.failedFuture(err instanceof HsmException h && h.reason() == HsmException.Reason.BAD_INPUT
        ? PublishingLicenses.undecryptable() : err));
  }

  private UseLicenses.Unsigned prepare(Principal user, ParsedPublishingLicense pl, KeyVersion version, SecretKey cek,
                                       JWK recipient, String tenantId, Facts facts) throws JOSEException {
    PublishingLicenseContent content = PublishingLicenses.open(pl, cek);
    try {
      facts.contentId = content.contentId();
      requireNotRevoked(tenantId, content.contentId());
      Entitlements.Granted granted = entitlements.grant(user, tenantId, content, Instant.now().getEpochSecond());
      facts.superUser = granted.superUser();
      long now = granted.at();
      long ttl = granted.offlineAccessSeconds() == 0 ? ONLINE_ONLY_SECONDS : granted.offlineAccessSeconds();
      long expiresAt = granted.notAfter() == null ? now + ttl : Math.min(now + ttl, granted.notAfter());
      return UseLicenses.prepare(version, content, user.subject(), granted.rights(), recipient, jwe, now, expiresAt,
          granted.offlineAccessSeconds());
    } finally {
      content.destroy();
    }
  }

  /** The kid new content is published with, as this node knows it now, so caching clients can refresh. */
  public String currentKid(String tenantId) {
    return directory.cached(tenantId).flatMap(t -> t.active()).map(KeyVersion::kid).orElse(null);
  }
}
