package io.licensor.audit;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One audit record before it is chained: when, which tenant and key version, who, what, with
 * which outcome, on which node, for which request. {@code detail} is free JSON text (never a
 * secret). Times are kept to the microsecond, as PostgreSQL stores them.
 */
public record AuditEvent(String tenantId, Instant at, String kid, String principal, String action, String outcome,
                         String node, String requestId, String detail) {

  /** The audit chain of service-wide steps (incidents, the crypto policy): not a valid tenant id, so never a tenant's. */
  public static final String SERVICE_CHAIN = "_service";

  public AuditEvent {
    at = at.truncatedTo(ChronoUnit.MICROS);
    principal = printable(principal);
    kid = printable(kid);
    requestId = printable(requestId);
  }

  /**
   * PostgreSQL text cannot hold NUL: a token's {@code sub} with one must not make its record
   * unwritable (and so block the queue). Control characters become U+FFFD.
   */
  static String printable(String s) {
    if (s == null || s.chars().noneMatch(Character::isISOControl)) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    s.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? 0xFFFD : c));
    return out.toString();
  }

  /** A record's detail as the audit shows it: its JSON object, or the text as recorded if it is none; null for none. */
  static Object detailJson(String detail) {
    if (detail == null) {
      return null;
    }
    try {
      return new io.vertx.core.json.JsonObject(detail);
    } catch (RuntimeException e) {
      return detail;
    }
  }

  /** The same record with another outcome (a license withheld because its record could not be written in time). */
  public AuditEvent withOutcome(String outcome) {
    return new AuditEvent(tenantId, at, kid, principal, action, outcome, node, requestId, detail);
  }

  public static AuditEvent now(String tenantId, String kid, String principal, String action, String outcome,
                               String node, String requestId, String detail) {
    return new AuditEvent(tenantId, Instant.now(), kid, principal, action, outcome, node, requestId, detail);
  }
}
