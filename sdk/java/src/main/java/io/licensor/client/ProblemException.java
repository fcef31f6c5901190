package io.licensor.client;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A refusal of the server: an RFC 9457 problem response ({@code type} = {@code urn:licensor:problem:<slug>}).
 * Each slug of docs/api.md has its own subclass (catch {@link AccessDenied}, {@link SubscriptionCancelled},
 * {@link ContentRevoked}...); a slug this library does not know is a plain {@code ProblemException}.
 * {@link #retryAfter()} is the server's {@code Retry-After} (429, 503), which the client has already
 * honoured as often as it was allowed to before throwing.
 */
public class ProblemException extends LicensorException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String slug;
  private final String title;
  private final String detail;
  private final String requestId;
  private final Duration retryAfter;

  public ProblemException(int status, String slug, String title, String detail, String requestId, Duration retryAfter) {
    super(title + " (" + slug + ", " + status + ")" + (detail == null ? "" : ": " + detail)
        + (requestId == null ? "" : " [request " + requestId + "]"));
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.detail = detail;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }

  private ProblemException(Fields f) {
    this(f.status, f.slug, f.title, f.detail, f.requestId, f.retryAfter);
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  /** The problem's slug: {@code access-denied}, {@code hsm-busy}...; the server's reason, stable across versions. */
  public String slug() {
    return slug;
  }

  public String title() {
    return title;
  }

  /** The server's explanation, or null. */
  public String detail() {
    return detail;
  }

  /** The id to quote to the operator (it is in the server's log), or null. */
  public String requestId() {
    return requestId;
  }

  /** The server's {@code Retry-After}, if it sent one. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  /** The fields of a problem response, as read. */
  record Fields(int status, String slug, String title, String detail, String requestId, Duration retryAfter) {
  }

  /** The typed exception for a problem response. */
  static ProblemException of(Fields fields) {
    Function<Fields, ProblemException> make = TYPES.get(fields.slug());
    return make == null ? new ProblemException(fields) : make.apply(fields);
  }

  private static final Map<String, Function<Fields, ProblemException>> TYPES = Map.ofEntries(
      Map.entry("invalid-request", InvalidRequest::new),
      Map.entry("malformed-json", MalformedJson::new),
      Map.entry("publishing-license-invalid", PublishingLicenseInvalid::new),
      Map.entry("byok-kek-unknown", ByokKekUnknown::new),
      Map.entry("byok-kek-expired", ByokKekExpired::new),
      Map.entry("byok-unwrap-failed", ByokUnwrapFailed::new),
      Map.entry("byok-not-a-private-key", ByokNotAPrivateKey::new),
      Map.entry("byok-key-not-allowed", ByokKeyNotAllowed::new),
      Map.entry("crypto-policy-violation", CryptoPolicyViolation::new),
      Map.entry("backup-invalid", BackupInvalid::new),
      Map.entry("unauthenticated", Unauthenticated::new),
      Map.entry("forbidden", Forbidden::new),
      Map.entry("wrong-tenant", WrongTenant::new),
      Map.entry("key-not-exportable", KeyNotExportable::new),
      Map.entry("subscription-cancelled", SubscriptionCancelled::new),
      Map.entry("access-denied", AccessDenied::new),
      Map.entry("content-revoked", ContentRevoked::new),
      Map.entry("not-found", NotFound::new),
      Map.entry("template-not-found", TemplateNotFound::new),
      Map.entry("tenant-not-found", TenantNotFound::new),
      Map.entry("unknown-key-version", UnknownKeyVersion::new),
      Map.entry("method-not-allowed", MethodNotAllowed::new),
      Map.entry("tenant-exists", TenantExists::new),
      Map.entry("issuer-in-use", IssuerInUse::new),
      Map.entry("template-name-taken", TemplateNameTaken::new),
      Map.entry("template-archived", TemplateArchived::new),
      Map.entry("template-built-in", TemplateBuiltIn::new),
      Map.entry("limit-reached", LimitReached::new),
      Map.entry("key-active", KeyActive::new),
      Map.entry("no-active-key", NoActiveKey::new),
      Map.entry("backup-outdated", BackupOutdated::new),
      Map.entry("backup-conflict", BackupConflict::new),
      Map.entry("world-mismatch", WorldMismatch::new),
      Map.entry("precondition-failed", PreconditionFailed::new),
      Map.entry("precondition-required", PreconditionRequired::new),
      Map.entry("key-destroyed", KeyDestroyed::new),
      Map.entry("payload-too-large", PayloadTooLarge::new),
      Map.entry("unsupported-media-type", UnsupportedMediaType::new),
      Map.entry("rate-limited", RateLimited::new),
      Map.entry("incident-not-found", IncidentNotFound::new),
      Map.entry("incident-state", IncidentState::new),
      Map.entry("internal-error", InternalError::new),
      Map.entry("mail-failed", MailFailed::new),
      Map.entry("hsm-busy", HsmBusy::new),
      Map.entry("tenant-busy", TenantBusy::new),
      Map.entry("audit-unavailable", AuditUnavailable::new),
      Map.entry("database-unavailable", DatabaseUnavailable::new),
      Map.entry("directory-unconfirmed", DirectoryUnconfirmed::new),
      Map.entry("identity-unavailable", IdentityUnavailable::new));

  /** {@code invalid-request} (400). */
  public static final class InvalidRequest extends ProblemException {
    private static final long serialVersionUID = 1L;

    InvalidRequest(Fields fields) {
      super(fields);
    }
  }

  /** {@code malformed-json} (400). */
  public static final class MalformedJson extends ProblemException {
    private static final long serialVersionUID = 1L;

    MalformedJson(Fields fields) {
      super(fields);
    }
  }

  /** {@code publishing-license-invalid} (400). */
  public static final class PublishingLicenseInvalid extends ProblemException {
    private static final long serialVersionUID = 1L;

    PublishingLicenseInvalid(Fields fields) {
      super(fields);
    }
  }

  /** {@code byok-kek-unknown} (400). */
  public static final class ByokKekUnknown extends ProblemException {
    private static final long serialVersionUID = 1L;

    ByokKekUnknown(Fields fields) {
      super(fields);
    }
  }

  /** {@code byok-kek-expired} (400). */
  public static final class ByokKekExpired extends ProblemException {
    private static final long serialVersionUID = 1L;

    ByokKekExpired(Fields fields) {
      super(fields);
    }
  }

  /** {@code byok-unwrap-failed} (400). */
  public static final class ByokUnwrapFailed extends ProblemException {
    private static final long serialVersionUID = 1L;

    ByokUnwrapFailed(Fields fields) {
      super(fields);
    }
  }

  /** {@code byok-not-a-private-key} (400). */
  public static final class ByokNotAPrivateKey extends ProblemException {
    private static final long serialVersionUID = 1L;

    ByokNotAPrivateKey(Fields fields) {
      super(fields);
    }
  }

  /** {@code byok-key-not-allowed} (400). */
  public static final class ByokKeyNotAllowed extends ProblemException {
    private static final long serialVersionUID = 1L;

    ByokKeyNotAllowed(Fields fields) {
      super(fields);
    }
  }

  /** {@code crypto-policy-violation} (400). */
  public static final class CryptoPolicyViolation extends ProblemException {
    private static final long serialVersionUID = 1L;

    CryptoPolicyViolation(Fields fields) {
      super(fields);
    }
  }

  /** {@code backup-invalid} (400). */
  public static final class BackupInvalid extends ProblemException {
    private static final long serialVersionUID = 1L;

    BackupInvalid(Fields fields) {
      super(fields);
    }
  }

  /** {@code unauthenticated} (401). */
  public static final class Unauthenticated extends ProblemException {
    private static final long serialVersionUID = 1L;

    Unauthenticated(Fields fields) {
      super(fields);
    }
  }

  /** {@code forbidden} (403). */
  public static final class Forbidden extends ProblemException {
    private static final long serialVersionUID = 1L;

    Forbidden(Fields fields) {
      super(fields);
    }
  }

  /** {@code wrong-tenant} (403). */
  public static final class WrongTenant extends ProblemException {
    private static final long serialVersionUID = 1L;

    WrongTenant(Fields fields) {
      super(fields);
    }
  }

  /** {@code key-not-exportable} (403). */
  public static final class KeyNotExportable extends ProblemException {
    private static final long serialVersionUID = 1L;

    KeyNotExportable(Fields fields) {
      super(fields);
    }
  }

  /** {@code subscription-cancelled} (403). */
  public static final class SubscriptionCancelled extends ProblemException {
    private static final long serialVersionUID = 1L;

    SubscriptionCancelled(Fields fields) {
      super(fields);
    }
  }

  /** {@code access-denied} (403). */
  public static final class AccessDenied extends ProblemException {
    private static final long serialVersionUID = 1L;

    AccessDenied(Fields fields) {
      super(fields);
    }
  }

  /** {@code content-revoked} (403). */
  public static final class ContentRevoked extends ProblemException {
    private static final long serialVersionUID = 1L;

    ContentRevoked(Fields fields) {
      super(fields);
    }
  }

  /** {@code not-found} (404). */
  public static final class NotFound extends ProblemException {
    private static final long serialVersionUID = 1L;

    NotFound(Fields fields) {
      super(fields);
    }
  }

  /** {@code template-not-found} (404). */
  public static final class TemplateNotFound extends ProblemException {
    private static final long serialVersionUID = 1L;

    TemplateNotFound(Fields fields) {
      super(fields);
    }
  }

  /** {@code tenant-not-found} (404). */
  public static final class TenantNotFound extends ProblemException {
    private static final long serialVersionUID = 1L;

    TenantNotFound(Fields fields) {
      super(fields);
    }
  }

  /** {@code unknown-key-version} (404). */
  public static final class UnknownKeyVersion extends ProblemException {
    private static final long serialVersionUID = 1L;

    UnknownKeyVersion(Fields fields) {
      super(fields);
    }
  }

  /** {@code method-not-allowed} (405). */
  public static final class MethodNotAllowed extends ProblemException {
    private static final long serialVersionUID = 1L;

    MethodNotAllowed(Fields fields) {
      super(fields);
    }
  }

  /** {@code tenant-exists} (409). */
  public static final class TenantExists extends ProblemException {
    private static final long serialVersionUID = 1L;

    TenantExists(Fields fields) {
      super(fields);
    }
  }

  /** {@code issuer-in-use} (409). */
  public static final class IssuerInUse extends ProblemException {
    private static final long serialVersionUID = 1L;

    IssuerInUse(Fields fields) {
      super(fields);
    }
  }

  /** {@code template-name-taken} (409). */
  public static final class TemplateNameTaken extends ProblemException {
    private static final long serialVersionUID = 1L;

    TemplateNameTaken(Fields fields) {
      super(fields);
    }
  }

  /** {@code template-archived} (409). */
  public static final class TemplateArchived extends ProblemException {
    private static final long serialVersionUID = 1L;

    TemplateArchived(Fields fields) {
      super(fields);
    }
  }

  /** {@code template-built-in} (409). */
  public static final class TemplateBuiltIn extends ProblemException {
    private static final long serialVersionUID = 1L;

    TemplateBuiltIn(Fields fields) {
      super(fields);
    }
  }

  /** {@code limit-reached} (409). */
  public static final class LimitReached extends ProblemException {
    private static final long serialVersionUID = 1L;

    LimitReached(Fields fields) {
      super(fields);
    }
  }

  /** {@code key-active} (409). */
  public static final class KeyActive extends ProblemException {
    private static final long serialVersionUID = 1L;

    KeyActive(Fields fields) {
      super(fields);
    }
  }

  /** {@code no-active-key} (409). */
  public static final class NoActiveKey extends ProblemException {
    private static final long serialVersionUID = 1L;

    NoActiveKey(Fields fields) {
      super(fields);
    }
  }

  /** {@code backup-outdated} (409). */
  public static final class BackupOutdated extends ProblemException {
    private static final long serialVersionUID = 1L;

    BackupOutdated(Fields fields) {
      super(fields);
    }
  }

  /** {@code backup-conflict} (409). */
  public static final class BackupConflict extends ProblemException {
    private static final long serialVersionUID = 1L;

    BackupConflict(Fields fields) {
      super(fields);
    }
  }

  /** {@code world-mismatch} (409). */
  public static final class WorldMismatch extends ProblemException {
    private static final long serialVersionUID = 1L;

    WorldMismatch(Fields fields) {
      super(fields);
    }
  }

  /** {@code precondition-failed} (412). */
  public static final class PreconditionFailed extends ProblemException {
    private static final long serialVersionUID = 1L;

    PreconditionFailed(Fields fields) {
      super(fields);
    }
  }

  /** {@code precondition-required} (428). */
  public static final class PreconditionRequired extends ProblemException {
    private static final long serialVersionUID = 1L;

    PreconditionRequired(Fields fields) {
      super(fields);
    }
  }

  /** {@code key-destroyed} (410). */
  public static final class KeyDestroyed extends ProblemException {
    private static final long serialVersionUID = 1L;

    KeyDestroyed(Fields fields) {
      super(fields);
    }
  }

  /** {@code payload-too-large} (413). */
  public static final class PayloadTooLarge extends ProblemException {
    private static final long serialVersionUID = 1L;

    PayloadTooLarge(Fields fields) {
      super(fields);
    }
  }

  /** {@code unsupported-media-type} (415). */
  public static final class UnsupportedMediaType extends ProblemException {
    private static final long serialVersionUID = 1L;

    UnsupportedMediaType(Fields fields) {
      super(fields);
    }
  }

  /** {@code rate-limited} (429). */
  public static final class RateLimited extends ProblemException {
    private static final long serialVersionUID = 1L;

    RateLimited(Fields fields) {
      super(fields);
    }
  }

  /** {@code incident-not-found} (404). */
  public static final class IncidentNotFound extends ProblemException {
    private static final long serialVersionUID = 1L;

    IncidentNotFound(Fields fields) {
      super(fields);
    }
  }

  /** {@code incident-state} (409). */
  public static final class IncidentState extends ProblemException {
    private static final long serialVersionUID = 1L;

    IncidentState(Fields fields) {
      super(fields);
    }
  }

  /** {@code internal-error} (500). */
  public static final class InternalError extends ProblemException {
    private static final long serialVersionUID = 1L;

    InternalError(Fields fields) {
      super(fields);
    }
  }

  /** {@code mail-failed} (502). */
  public static final class MailFailed extends ProblemException {
    private static final long serialVersionUID = 1L;

    MailFailed(Fields fields) {
      super(fields);
    }
  }

  /** {@code hsm-busy} (503). */
  public static final class HsmBusy extends ProblemException {
    private static final long serialVersionUID = 1L;

    HsmBusy(Fields fields) {
      super(fields);
    }
  }

  /** {@code tenant-busy} (503). */
  public static final class TenantBusy extends ProblemException {
    private static final long serialVersionUID = 1L;

    TenantBusy(Fields fields) {
      super(fields);
    }
  }

  /** {@code audit-unavailable} (503). */
  public static final class AuditUnavailable extends ProblemException {
    private static final long serialVersionUID = 1L;

    AuditUnavailable(Fields fields) {
      super(fields);
    }
  }

  /** {@code database-unavailable} (503). */
  public static final class DatabaseUnavailable extends ProblemException {
    private static final long serialVersionUID = 1L;

    DatabaseUnavailable(Fields fields) {
      super(fields);
    }
  }

  /** {@code directory-unconfirmed} (503). */
  public static final class DirectoryUnconfirmed extends ProblemException {
    private static final long serialVersionUID = 1L;

    DirectoryUnconfirmed(Fields fields) {
      super(fields);
    }
  }

  /** {@code identity-unavailable} (503). */
  public static final class IdentityUnavailable extends ProblemException {
    private static final long serialVersionUID = 1L;

    IdentityUnavailable(Fields fields) {
      super(fields);
    }
  }
}
