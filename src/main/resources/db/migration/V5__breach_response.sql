-- Breach response: the crypto policy, incidents, their re-key campaigns, and the e-mail outbox.

-- The service-wide crypto policy: one row. New key versions (generated or BYOK) must meet it.
CREATE TABLE crypto_policy (
  id                 integer PRIMARY KEY CHECK (id = 1),
  allowed_algorithms text[] NOT NULL,
  min_rsa_bits       integer NOT NULL CHECK (min_rsa_bits IN (2048, 3072, 4096)),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  updated_by         text
);
INSERT INTO crypto_policy (id, allowed_algorithms, min_rsa_bits)
  VALUES (1, ARRAY['RSA-2048', 'RSA-3072', 'RSA-4096', 'EC-P256', 'EC-P384'], 2048);

CREATE TABLE incidents (
  id              text PRIMARY KEY,
  type            text NOT NULL CHECK (type IN ('key-compromised', 'unauthorized-use', 'hsm-vulnerability', 'algorithm-weakness')),
  scope           jsonb NOT NULL,
  summary         text NOT NULL,
  declared_by     text NOT NULL,
  declared_at     timestamptz NOT NULL DEFAULT now(),
  -- key-compromised, algorithm-weakness: the campaign's start; hsm-vulnerability: when the operator
  -- recorded the HSM update (NULL until then). A tenant whose active version was made at or after
  -- this time is not re-keyed again.
  campaign_since  timestamptz,
  target_algorithm text,
  hsm_generation  text,
  hsm_update      text,
  policy          jsonb,
  usage_report    jsonb,
  detail          jsonb NOT NULL DEFAULT '{}'
);

-- One row per tenant a campaign must re-key: pending until done, failed (with the reason, retried
-- up to a limit) or skipped (cancelled tenant). Claimed with FOR UPDATE SKIP LOCKED, so any node may
-- work on a campaign and a node that dies leaves its claims to the others.
CREATE TABLE campaign_items (
  incident_id  text NOT NULL REFERENCES incidents (id),
  tenant_id    text NOT NULL,
  state        text NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
  attempts     integer NOT NULL DEFAULT 0,
  reason       text,
  new_kid      text,
  -- a node working on the item holds it until then; after that (the node died) another may take it
  claimed_until timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, tenant_id)
);
CREATE INDEX campaign_items_pending ON campaign_items (incident_id) WHERE state = 'pending';

-- E-mail to tenant admins, written in the same transaction as the incident step it reports,
-- delivered by the mail sender with retries and backoff. Nothing is deleted.
CREATE TABLE outbox (
  id              bigserial PRIMARY KEY,
  incident_id     text REFERENCES incidents (id),
  tenant_id       text NOT NULL,
  recipient       text NOT NULL,
  subject         text NOT NULL,
  body            text NOT NULL,
  state           text NOT NULL CHECK (state IN ('pending', 'sent', 'logged')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_incident ON outbox (incident_id);
