-- A document's usage (issue 23, item 2) is read from the audit: key-use records carry
-- {"contentId": ...} as their detail once the content id is known. This index finds one document's
-- records among a tenant's without scanning its whole trail.
CREATE INDEX audit_events_document ON audit_events (tenant_id, detail, seq)
  WHERE action IN ('license.issued', 'license.denied', 'publish.issued', 'publish.denied') AND detail IS NOT NULL;
