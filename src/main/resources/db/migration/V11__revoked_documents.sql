-- Document revocation (issue 23, item 2): a tenant's documents, by content id, that no node may
-- license. A row per revoked document; un-revoking deletes it. Revoking or un-revoking touches the
-- tenant row in the same transaction, so the tenant's revision rises and every node reloads the
-- tenant (with this list) by the change notice, or within its refresh period.
CREATE TABLE revoked_documents (
  tenant_id   text NOT NULL REFERENCES tenants (id),
  content_id  text NOT NULL,
  revoked_at  timestamptz NOT NULL DEFAULT now(),
  revoked_by  text NOT NULL,
  PRIMARY KEY (tenant_id, content_id)
);
