-- A per-tenant revision, raised by every change to the tenant or any of its key versions, by
-- triggers (so no code path, and no operator's manual SQL, can change a tenant without raising it).
-- Nodes compare it with the revision they cached: the periodic sweep that bounds the rollover
-- window for a node that missed a change notice, and the check that a notice took effect.
ALTER TABLE tenants ADD COLUMN revision bigint NOT NULL DEFAULT 1;

CREATE FUNCTION tenants_raise_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.revision := OLD.revision + 1;
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TRIGGER tenants_revision BEFORE UPDATE ON tenants
  FOR EACH ROW EXECUTE FUNCTION tenants_raise_revision();

CREATE FUNCTION key_versions_touch_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tenants SET updated_at = now() WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END);
  RETURN NULL;
END $$;

CREATE TRIGGER key_versions_revision AFTER INSERT OR UPDATE OR DELETE ON key_versions
  FOR EACH ROW EXECUTE FUNCTION key_versions_touch_tenant();
