-- Rights policy templates (issue 23, item 1): a tenant's named policies, which publishing licenses
-- name and whose rights are read when a license is issued. Never deleted (archived instead: content
-- published with a template stays licensable). A change touches the tenant row in the same
-- transaction, so its revision rises and every node reloads the tenant, with its templates.
CREATE TABLE rights_templates (
  tenant_id    text NOT NULL REFERENCES tenants (id),
  id           text NOT NULL,
  name         text NOT NULL,
  definition   jsonb NOT NULL,
  archived_at  timestamptz,
  revision     bigint NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX rights_templates_name ON rights_templates (tenant_id, lower(name));

-- Offline access (issue 23, item 4): the tenant's bound on how long a use license may be used
-- without asking again; null: the service's (licensing.maxTtlSeconds).
ALTER TABLE tenants ADD COLUMN max_offline_access_seconds bigint;
