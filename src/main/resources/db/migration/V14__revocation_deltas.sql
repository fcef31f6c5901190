-- Revocation lists that nodes read as deltas (issue 23): a tenant with 100,000 revoked documents
-- must not be read whole at each change. Every revoke or un-revoke gives its row the next number of
-- one sequence (un-revoking keeps the row, marked revoked = false), so a node that knows a tenant's
-- list up to number N reads only the rows numbered past N. A tenant's changes hold its row lock, so
-- within a tenant the numbers are given in commit order.
CREATE SEQUENCE revoked_documents_seq;
ALTER TABLE revoked_documents ADD COLUMN revoked boolean NOT NULL DEFAULT true;
ALTER TABLE revoked_documents ADD COLUMN seq bigint;
UPDATE revoked_documents SET seq = nextval('revoked_documents_seq');
ALTER TABLE revoked_documents ALTER COLUMN seq SET NOT NULL;
ALTER TABLE revoked_documents ALTER COLUMN seq SET DEFAULT nextval('revoked_documents_seq');
CREATE INDEX revoked_documents_by_seq ON revoked_documents (tenant_id, seq);
