-- Lifecycle: why a version was destroyed.
ALTER TABLE key_versions ADD COLUMN destroy_reason text;

-- The audit trail: one hash chain per tenant. Each record's hash covers its fields and the
-- previous record's hash; audit_heads holds the last (seq, hash) of each chain and is locked by
-- every writer, so records of one tenant are chained in order whatever node writes them.
CREATE TABLE audit_events (
  tenant_id   text NOT NULL,
  seq         bigint NOT NULL CHECK (seq >= 1),
  at          timestamptz NOT NULL,
  kid         text,
  principal   text,
  action      text NOT NULL,
  outcome     text NOT NULL,
  node        text NOT NULL,
  request_id  text,
  detail      text,
  prev_hash   text NOT NULL,
  hash        text NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);

CREATE INDEX audit_events_time ON audit_events (tenant_id, at);

CREATE TABLE audit_heads (
  tenant_id  text PRIMARY KEY,
  seq        bigint NOT NULL,
  hash       text NOT NULL
);
