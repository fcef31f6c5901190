-- A re-key campaign does not replace a customer's own key (BYOK) with one the service makes unless
-- the operator said so at declaration (incidents.byok_rekey = 'service-key'): by default the
-- tenant's item waits for the customer's new key transfer ('awaiting-customer') and is done once
-- the tenant has a version made since the campaign began.
ALTER TABLE campaign_items DROP CONSTRAINT campaign_items_state_check;
ALTER TABLE campaign_items ADD CONSTRAINT campaign_items_state_check
  CHECK (state IN ('pending', 'done', 'failed', 'skipped', 'awaiting-customer'));
ALTER TABLE incidents ADD COLUMN byok_rekey text NOT NULL DEFAULT 'await-customer'
  CHECK (byok_rekey IN ('await-customer', 'service-key'));
CREATE INDEX campaign_items_awaiting ON campaign_items (incident_id) WHERE state = 'awaiting-customer';
