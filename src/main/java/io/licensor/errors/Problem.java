package io.licensor.errors;

/**
 * Every kind of failure a caller can see, with its HTTP status and the slug of its RFC 9457
 * problem type ({@code urn:licensor:problem:<slug>}). Clients tell licensing errors apart by slug.
 */
public enum Problem {
  INVALID_REQUEST(400, "invalid-request", "The request is invalid"),
  MALFORMED_JSON(400, "malformed-json", "The request body is not valid JSON"),
  PUBLISHING_LICENSE_INVALID(400, "publishing-license-invalid", "The publishing license is invalid"),
  BYOK_KEK_UNKNOWN(400, "byok-kek-unknown", "The transfer file was wrapped for a key-exchange key this tenant does not have"),
  BYOK_KEK_EXPIRED(400, "byok-kek-expired", "The key-exchange key has expired"),
  BYOK_UNWRAP_FAILED(400, "byok-unwrap-failed", "The transfer file does not unwrap"),
  BYOK_NOT_A_PRIVATE_KEY(400, "byok-not-a-private-key", "The transferred key is not a private key"),
  BYOK_KEY_NOT_ALLOWED(400, "byok-key-not-allowed", "The transferred key's algorithm or size is not allowed"),
  CRYPTO_POLICY_VIOLATION(400, "crypto-policy-violation", "The key algorithm does not meet the crypto policy"),
  BACKUP_INVALID(400, "backup-invalid", "The backup package is invalid or was altered"),
  UNAUTHENTICATED(401, "unauthenticated", "Authentication is required"),
  FORBIDDEN(403, "forbidden", "The caller is not allowed to do this"),
  WRONG_TENANT(403, "wrong-tenant", "The request belongs to another tenant"),
  KEY_NOT_EXPORTABLE(403, "key-not-exportable", "The key version can never be exported"),
  SUBSCRIPTION_CANCELLED(403, "subscription-cancelled", "The tenant's subscription is cancelled"),
  ACCESS_DENIED(403, "access-denied", "The content's policy grants this user no rights"),
  CONTENT_REVOKED(403, "content-revoked", "The document was revoked"),
  NOT_FOUND(404, "not-found", "No such resource"),
  TEMPLATE_NOT_FOUND(404, "template-not-found", "No such rights template"),
  TENANT_NOT_FOUND(404, "tenant-not-found", "No such tenant"),
  UNKNOWN_KEY_VERSION(404, "unknown-key-version", "No such key version"),
  METHOD_NOT_ALLOWED(405, "method-not-allowed", "Method not allowed on this resource"),
  TENANT_EXISTS(409, "tenant-exists", "The tenant already exists"),
  ISSUER_IN_USE(409, "issuer-in-use", "The identity issuer is registered for another tenant"),
  TEMPLATE_NAME_TAKEN(409, "template-name-taken", "The tenant has another template of that name"),
  TEMPLATE_ARCHIVED(409, "template-archived", "The rights template is archived: no new content is published with it"),
  TEMPLATE_BUILT_IN(409, "template-built-in", "Built-in rights templates cannot be changed"),
  LIMIT_REACHED(409, "limit-reached", "The tenant has as many of these as it may"),
  KEY_ACTIVE(409, "key-active", "The key version is active"),
  NO_ACTIVE_KEY(409, "no-active-key", "The tenant has no key version it can use"),
  BACKUP_OUTDATED(409, "backup-outdated", "The backup package is older than the tenant's last lifecycle change"),
  BACKUP_CONFLICT(409, "backup-conflict", "The backup package holds another key under a version number in use here"),
  WORLD_MISMATCH(409, "world-mismatch", "The backup belongs to a security world this node has not loaded"),
  PRECONDITION_FAILED(412, "precondition-failed", "The resource changed since the version the request names"),
  PRECONDITION_REQUIRED(428, "precondition-required", "The request must name the version it changes (If-Match)"),
  KEY_DESTROYED(410, "key-destroyed", "The key version was destroyed"),
  PAYLOAD_TOO_LARGE(413, "payload-too-large", "The request body is too large"),
  UNSUPPORTED_MEDIA_TYPE(415, "unsupported-media-type", "The request body must be application/json"),
  RATE_LIMITED(429, "rate-limited", "Too many requests for this tenant"),
  INCIDENT_NOT_FOUND(404, "incident-not-found", "No such incident"),
  INCIDENT_STATE(409, "incident-state", "The incident is not in a state that allows this"),
  INTERNAL_ERROR(500, "internal-error", "Internal error"),
  MAIL_FAILED(502, "mail-failed", "The mail server did not accept the message"),
  HSM_BUSY(503, "hsm-busy", "The HSM is busy"),
  TENANT_BUSY(503, "tenant-busy", "Another lifecycle operation on this tenant is in progress"),
  AUDIT_UNAVAILABLE(503, "audit-unavailable", "The audit trail cannot be written"),
  DATABASE_UNAVAILABLE(503, "database-unavailable", "The database is unavailable"),
  DIRECTORY_UNCONFIRMED(503, "directory-unconfirmed", "This node cannot prove its tenant data current"),
  IDENTITY_UNAVAILABLE(503, "identity-unavailable", "The tenant's identity provider cannot be reached");

  private final int status;
  private final String slug;
  private final String title;

  Problem(int status, String slug, String title) {
    this.status = status;
    this.slug = slug;
    this.title = title;
  }

  public int status() {
    return status;
  }

  public String slug() {
    return slug;
  }

  public String type() {
    return "urn:licensor:problem:" + slug;
  }

  public String title() {
    return title;
  }

  /** A failure of this kind with a detail for the caller; the detail must not carry secrets. */
  public ProblemException with(String detail) {
    return new ProblemException(this, detail);
  }
}
