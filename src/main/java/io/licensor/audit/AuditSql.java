package io.licensor.audit;

/** The SQL of the audit trail, in one place. */
final class AuditSql {

  private AuditSql() {
  }

  static final String ENSURE_HEADS =
      "INSERT INTO audit_heads (tenant_id, seq, hash) SELECT t, 0, $2 FROM unnest($1::text[]) AS t ON CONFLICT DO NOTHING";

  static final String LOCK_HEADS =
      "SELECT tenant_id, seq, hash FROM audit_heads WHERE tenant_id = ANY($1::text[]) ORDER BY tenant_id FOR UPDATE";

  static final String INSERT_EVENT =
      "INSERT INTO audit_events (tenant_id, seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash, hash)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

  static final String UPDATE_HEAD = "UPDATE audit_heads SET seq = $2, hash = $3 WHERE tenant_id = $1";

  static final String PAGE =
      "SELECT seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash, hash FROM audit_events"
          + " WHERE tenant_id = $1 AND at >= $2 AND at < $3 AND seq > $4 ORDER BY seq LIMIT $5";

  static final String CHAIN_CHUNK =
      "SELECT seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash, hash FROM audit_events"
          + " WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

  static final String HEAD = "SELECT seq, hash FROM audit_heads WHERE tenant_id = $1";
}
