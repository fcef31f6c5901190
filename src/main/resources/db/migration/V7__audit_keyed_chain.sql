-- The audit chain keyed by a key derived from the security world (HMAC-SHA256 instead of SHA-256),
-- so that write access to the database is not enough to rewrite history.
-- keyed_from: the first sequence number chained with the key (records before it are from before
-- the key, plain SHA-256); keyed_mac: its MAC, so it cannot be moved or removed unnoticed.
-- verified_*: the last record a node verified, with a MAC: a read verifies from there, not from 1.
ALTER TABLE audit_heads ADD COLUMN keyed_from bigint;
ALTER TABLE audit_heads ADD COLUMN keyed_mac text;
ALTER TABLE audit_heads ADD COLUMN verified_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE audit_heads ADD COLUMN verified_hash text;
ALTER TABLE audit_heads ADD COLUMN verified_mac text;
-- One row once the chains of the tenants that existed before the key were marked (by the first node
-- to start with it); after that a head without a valid keyed_mac is a broken chain, never "old".
CREATE TABLE audit_keying (
  id      integer PRIMARY KEY CHECK (id = 1),
  since   timestamptz NOT NULL DEFAULT now(),
  mac     text NOT NULL
);
