-- Directory leases: a node serves tenants from its cache only while it holds a lease, renewed
-- against this database, that proves its cache current (docs/design.md, "Leases").
-- directory_epoch: one counter, raised by every change to any tenant (the tenants trigger below).
-- Raising it takes the row's lock until the change commits, so changes commit in epoch order: a
-- node that reads epoch E has every change up to E visible.
CREATE TABLE directory_epoch (
  id     boolean PRIMARY KEY DEFAULT true CHECK (id),
  epoch  bigint NOT NULL
);
INSERT INTO directory_epoch (id, epoch) VALUES (true, 0);

-- The epoch of the tenant's last change: a node renewing its lease reloads the tenants changed
-- since the epoch it last applied.
ALTER TABLE tenants ADD COLUMN change_epoch bigint NOT NULL DEFAULT 0;
CREATE INDEX tenants_change_epoch ON tenants (change_epoch);

CREATE OR REPLACE FUNCTION tenants_raise_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.revision := OLD.revision + 1;
  NEW.updated_at := now();
  UPDATE directory_epoch SET epoch = epoch + 1 RETURNING epoch INTO NEW.change_epoch;
  RETURN NEW;
END $$;

-- Every node's lease: renewed_at (this database's clock) + lease_millis is when it lapses;
-- epoch_seen, the last epoch whose changes the node had applied when it renewed. A lifecycle call
-- waits until each live lease has confirmed its change (a notice answered, or epoch_seen past it)
-- or has lapsed.
CREATE TABLE node_leases (
  lease_id      text PRIMARY KEY,
  node_name     text NOT NULL,
  member_id     text,
  renewed_at    timestamptz NOT NULL,
  lease_millis  integer NOT NULL,
  epoch_seen    bigint NOT NULL
);
