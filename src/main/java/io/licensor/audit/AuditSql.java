package io.licensor.audit;

/** The SQL of the audit trail, in one place. */
final class AuditSql {

  private AuditSql() {
  }

  /** A new tenant's chain is keyed from its first record: keyed_from 1, under its MAC ($3, one per tenant). */
  static final String ENSURE_HEADS =
      "INSERT INTO audit_heads (tenant_id, seq, hash, keyed_from, keyed_mac)"
          + " SELECT t, 0, $2, 1, m FROM unnest($1::text[], $3::text[]) AS x(t, m) ON CONFLICT DO NOTHING";

  static final String LOCK_HEADS =
      "SELECT tenant_id, seq, hash FROM audit_heads WHERE tenant_id = ANY($1::text[]) ORDER BY tenant_id FOR UPDATE";

  /** One statement for a whole batch: PostgreSQL does far less work than for one INSERT per record. */
  static final String INSERT_EVENTS =
      "INSERT INTO audit_events (tenant_id, seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash, hash)"
          + " SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],"
          + " $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])";

  /** Every head of a batch in one statement (one UPDATE per tenant made PostgreSQL's work grow with the tenants in a batch). */
  static final String UPDATE_HEADS = "UPDATE audit_heads h SET seq = x.seq, hash = x.hash"
      + " FROM unnest($1::text[], $2::bigint[], $3::text[]) AS x(tenant_id, seq, hash) WHERE h.tenant_id = x.tenant_id";

  static final String PAGE =
      "SELECT seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash, hash FROM audit_events"
          + " WHERE tenant_id = $1 AND at >= $2 AND at < $3 AND seq > $4 ORDER BY seq LIMIT $5";

  static final String CHAIN_CHUNK =
      "SELECT seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash, hash FROM audit_events"
          + " WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

  static final String HEAD = "SELECT seq, hash, keyed_from, keyed_mac, verified_seq, verified_hash, verified_mac"
      + " FROM audit_heads WHERE tenant_id = $1";

  static final String SAVE_CHECKPOINT = "UPDATE audit_heads SET verified_seq = $2, verified_hash = $3, verified_mac = $4"
      + " WHERE tenant_id = $1 AND verified_seq < $2";

  static final String KEYING = "SELECT mac FROM audit_keying WHERE id = 1";

  static final String RECORD_HASH = "SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = $2";

  static final String LOCK_KEYING = "LOCK TABLE audit_keying IN EXCLUSIVE MODE";

  static final String UNMARKED_HEADS = "SELECT tenant_id, seq FROM audit_heads WHERE keyed_from IS NULL";

  static final String MARK_HEAD = "UPDATE audit_heads SET keyed_from = $2, keyed_mac = $3 WHERE tenant_id = $1 AND keyed_from IS NULL";

  static final String INSERT_KEYING = "INSERT INTO audit_keying (id, mac) VALUES (1, $1)";

  /** An incident's usage report: key use by tenant, action, outcome, principal and kid in a window. */
  /** One document's key-use records, newest first ($2: the exact detail those records carry). */
  static final String DOCUMENT_USAGE =
      "SELECT at, principal, action, outcome, node, kid FROM audit_events WHERE tenant_id = $1 AND detail = $2"
          + " AND action IN ('license.issued', 'license.denied', 'publish.issued', 'publish.denied') AND detail IS NOT NULL"
          + " ORDER BY seq DESC LIMIT $3";

  /** The tenant's super users' licenses, newest first. */
  static final String SUPER_USER_LICENSES =
      "SELECT at, principal, node, kid, detail FROM audit_events WHERE tenant_id = $1 AND action = 'license.issued'"
          + " AND outcome = 'super-user' ORDER BY seq DESC LIMIT $2";

  static final String USAGE =
      "SELECT tenant_id, action, outcome, principal, kid, count(*) AS n, min(at) AS first, max(at) AS last"
          + " FROM audit_events WHERE ($1 OR tenant_id = ANY($2)) AND at >= $3 AND at < $4"
          + " AND action IN ('license.issued', 'license.denied', 'publish.issued', 'publish.denied', 'key.export')"
          + " GROUP BY tenant_id, action, outcome, principal, kid ORDER BY tenant_id, n DESC LIMIT 10001";
}
