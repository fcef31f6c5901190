/** Everything this library throws. */
export class LicensorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The server could not be reached (or did not answer). */
export class UnreachableError extends LicensorError {}

/** A use license this client does not trust (signature, delegated certificate, tenant, content, key or time). */
export class LicenseRejectedError extends LicensorError {}

/** Input that is not a licensor-protected container, or one that was changed (`tampered`). */
export class ContentError extends LicensorError {
  constructor(message: string, readonly tampered: boolean) {
    super(message);
  }
}

/** The license was issued without the right asked for. */
export class RightNotGrantedError extends LicensorError {
  constructor(readonly rights: readonly string[], readonly needed: string, subject: string | undefined) {
    super(`the license grants ${subject} ${rights.join(", ")}, not ${needed}`);
  }
}

/** The fields of an RFC 9457 problem response. */
export interface ProblemFields {
  status: number;
  slug: string;
  title: string;
  detail?: string;
  requestId?: string;
  /** The server's Retry-After, in seconds, if it sent one (already honoured as often as allowed). */
  retryAfterSeconds?: number;
}

/** A refusal of the server; one subclass per problem slug (AccessDeniedError, SubscriptionCancelledError...). */
export class ProblemError extends LicensorError {
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly detail?: string;
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;

  constructor(f: ProblemFields) {
    super(`${f.title} (${f.slug}, ${f.status})${f.detail ? ": " + f.detail : ""}${f.requestId ? " [request " + f.requestId + "]" : ""}`);
    this.status = f.status;
    this.slug = f.slug;
    this.title = f.title;
    this.detail = f.detail;
    this.requestId = f.requestId;
    this.retryAfterSeconds = f.retryAfterSeconds;
  }
}

/** `invalid-request` (400). */
export class InvalidRequestError extends ProblemError {}
/** `malformed-json` (400). */
export class MalformedJsonError extends ProblemError {}
/** `publishing-license-invalid` (400). */
export class PublishingLicenseInvalidError extends ProblemError {}
/** `byok-kek-unknown` (400). */
export class ByokKekUnknownError extends ProblemError {}
/** `byok-kek-expired` (400). */
export class ByokKekExpiredError extends ProblemError {}
/** `byok-unwrap-failed` (400). */
export class ByokUnwrapFailedError extends ProblemError {}
/** `byok-not-a-private-key` (400). */
export class ByokNotAPrivateKeyError extends ProblemError {}
/** `byok-key-not-allowed` (400). */
export class ByokKeyNotAllowedError extends ProblemError {}
/** `crypto-policy-violation` (400). */
export class CryptoPolicyViolationError extends ProblemError {}
/** `backup-invalid` (400). */
export class BackupInvalidError extends ProblemError {}
/** `unauthenticated` (401). */
export class UnauthenticatedError extends ProblemError {}
/** `forbidden` (403). */
export class ForbiddenError extends ProblemError {}
/** `wrong-tenant` (403). */
export class WrongTenantError extends ProblemError {}
/** `key-not-exportable` (403). */
export class KeyNotExportableError extends ProblemError {}
/** `subscription-cancelled` (403). */
export class SubscriptionCancelledError extends ProblemError {}
/** `access-denied` (403). */
export class AccessDeniedError extends ProblemError {}
/** `content-revoked` (403). */
export class ContentRevokedError extends ProblemError {}
/** `not-found` (404). */
export class NotFoundError extends ProblemError {}
/** `template-not-found` (404). */
export class TemplateNotFoundError extends ProblemError {}
/** `tenant-not-found` (404). */
export class TenantNotFoundError extends ProblemError {}
/** `unknown-key-version` (404). */
export class UnknownKeyVersionError extends ProblemError {}
/** `method-not-allowed` (405). */
export class MethodNotAllowedError extends ProblemError {}
/** `tenant-exists` (409). */
export class TenantExistsError extends ProblemError {}
/** `issuer-in-use` (409). */
export class IssuerInUseError extends ProblemError {}
/** `template-name-taken` (409). */
export class TemplateNameTakenError extends ProblemError {}
/** `template-archived` (409). */
export class TemplateArchivedError extends ProblemError {}
/** `template-built-in` (409). */
export class TemplateBuiltInError extends ProblemError {}
/** `limit-reached` (409). */
export class LimitReachedError extends ProblemError {}
/** `key-active` (409). */
export class KeyActiveError extends ProblemError {}
/** `no-active-key` (409). */
export class NoActiveKeyError extends ProblemError {}
/** `backup-outdated` (409). */
export class BackupOutdatedError extends ProblemError {}
/** `backup-conflict` (409). */
export class BackupConflictError extends ProblemError {}
/** `world-mismatch` (409). */
export class WorldMismatchError extends ProblemError {}
/** `precondition-failed` (412). */
export class PreconditionFailedError extends ProblemError {}
/** `precondition-required` (428). */
export class PreconditionRequiredError extends ProblemError {}
/** `key-destroyed` (410). */
export class KeyDestroyedError extends ProblemError {}
/** `payload-too-large` (413). */
export class PayloadTooLargeError extends ProblemError {}
/** `unsupported-media-type` (415). */
export class UnsupportedMediaTypeError extends ProblemError {}
/** `rate-limited` (429). */
export class RateLimitedError extends ProblemError {}
/** `incident-not-found` (404). */
export class IncidentNotFoundError extends ProblemError {}
/** `incident-state` (409). */
export class IncidentStateError extends ProblemError {}
/** `internal-error` (500). */
export class InternalErrorError extends ProblemError {}
/** `mail-failed` (502). */
export class MailFailedError extends ProblemError {}
/** `hsm-busy` (503). */
export class HsmBusyError extends ProblemError {}
/** `tenant-busy` (503). */
export class TenantBusyError extends ProblemError {}
/** `audit-unavailable` (503). */
export class AuditUnavailableError extends ProblemError {}
/** `database-unavailable` (503). */
export class DatabaseUnavailableError extends ProblemError {}
/** `directory-unconfirmed` (503). */
export class DirectoryUnconfirmedError extends ProblemError {}
/** `identity-unavailable` (503). */
export class IdentityUnavailableError extends ProblemError {}

const TYPES: Record<string, new (f: ProblemFields) => ProblemError> = {
  "invalid-request": InvalidRequestError,
  "malformed-json": MalformedJsonError,
  "publishing-license-invalid": PublishingLicenseInvalidError,
  "byok-kek-unknown": ByokKekUnknownError,
  "byok-kek-expired": ByokKekExpiredError,
  "byok-unwrap-failed": ByokUnwrapFailedError,
  "byok-not-a-private-key": ByokNotAPrivateKeyError,
  "byok-key-not-allowed": ByokKeyNotAllowedError,
  "crypto-policy-violation": CryptoPolicyViolationError,
  "backup-invalid": BackupInvalidError,
  "unauthenticated": UnauthenticatedError,
  "forbidden": ForbiddenError,
  "wrong-tenant": WrongTenantError,
  "key-not-exportable": KeyNotExportableError,
  "subscription-cancelled": SubscriptionCancelledError,
  "access-denied": AccessDeniedError,
  "content-revoked": ContentRevokedError,
  "not-found": NotFoundError,
  "template-not-found": TemplateNotFoundError,
  "tenant-not-found": TenantNotFoundError,
  "unknown-key-version": UnknownKeyVersionError,
  "method-not-allowed": MethodNotAllowedError,
  "tenant-exists": TenantExistsError,
  "issuer-in-use": IssuerInUseError,
  "template-name-taken": TemplateNameTakenError,
  "template-archived": TemplateArchivedError,
  "template-built-in": TemplateBuiltInError,
  "limit-reached": LimitReachedError,
  "key-active": KeyActiveError,
  "no-active-key": NoActiveKeyError,
  "backup-outdated": BackupOutdatedError,
  "backup-conflict": BackupConflictError,
  "world-mismatch": WorldMismatchError,
  "precondition-failed": PreconditionFailedError,
  "precondition-required": PreconditionRequiredError,
  "key-destroyed": KeyDestroyedError,
  "payload-too-large": PayloadTooLargeError,
  "unsupported-media-type": UnsupportedMediaTypeError,
  "rate-limited": RateLimitedError,
  "incident-not-found": IncidentNotFoundError,
  "incident-state": IncidentStateError,
  "internal-error": InternalErrorError,
  "mail-failed": MailFailedError,
  "hsm-busy": HsmBusyError,
  "tenant-busy": TenantBusyError,
  "audit-unavailable": AuditUnavailableError,
  "database-unavailable": DatabaseUnavailableError,
  "directory-unconfirmed": DirectoryUnconfirmedError,
  "identity-unavailable": IdentityUnavailableError,
};

/** The typed error for a problem response. */
export function problem(f: ProblemFields): ProblemError {
  const Type = TYPES[f.slug];
  return Type ? new Type(f) : new ProblemError(f);
}
