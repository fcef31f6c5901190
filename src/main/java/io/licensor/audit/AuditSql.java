package io.licensor.audit;

/** The SQL of the audit trail, in one place. */
final class AuditSql {

  private AuditSql() {
  }

  static final String ENSURE_HEADS =
      "INSERT INTO audit_heads (tenant_id, seq, hash) SELECT t, 0, $2 FROM unnest($1::text[]) AS t ON CONFLICT DO NOTHING";

  static final String LOCK_HEADS =
      "SELECT tenant_id, seq, hash FROM audit_heads WHERE tenant_id = ANY($1::text[]) ORDER BY tenant_id FOR UPDATE";

  /** One statement for a whole batch: PostgreSQL does far less work than for one INSERT per record. */
  static final String INSERT_EVENTS =
      "INSERT INTO audit_events (tenant_id, seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash, hash)"
          + " SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],"
          + " $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])";

  static final String UPDATE_HEAD = "UPDATE audit_heads SET seq = $2, hash = $3 WHERE tenant_id = $1";

  static final String PAGE =
      "SELECT seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash, hash FROM audit_events"
          + " WHERE tenant_id = $1 AND at >= $2 AND at < $3 AND seq > $4 ORDER BY seq LIMIT $5";

  static final String CHAIN_CHUNK =
      "SELECT seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash, hash FROM audit_events"
          + " WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

  static final String HEAD = "SELECT seq, hash FROM audit_heads WHERE tenant_id = $1";
}
