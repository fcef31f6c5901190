-- Tenants and their key versions: the source of truth every node's key directory caches.
CREATE TABLE tenants (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  display_name  text NOT NULL,
  admin_email   text NOT NULL,
  identity      jsonb NOT NULL,
  state         text NOT NULL CHECK (state IN ('active', 'cancelled')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tenants_issuer ON tenants ((identity ->> 'issuer'));

CREATE TABLE key_versions (
  tenant_id     text NOT NULL REFERENCES tenants (id),
  version       integer NOT NULL CHECK (version >= 1),
  state         text NOT NULL CHECK (state IN ('active', 'retained', 'destroyed')),
  algorithm     text NOT NULL CHECK (algorithm IN ('RSA-2048', 'RSA-3072', 'RSA-4096', 'EC-P256', 'EC-P384')),
  origin        text NOT NULL CHECK (origin IN ('service', 'byok')),
  public_jwk    jsonb NOT NULL,
  -- The private key as a key token (AES-KWP under the world key); NULL once destroyed.
  key_token     text,
  world_id      text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  retained_at   timestamptz,
  destroyed_at  timestamptz,
  PRIMARY KEY (tenant_id, version),
  CHECK ((state = 'destroyed') = (key_token IS NULL))
);

-- A tenant never has two active key versions, whatever the application does.
CREATE UNIQUE INDEX key_versions_one_active ON key_versions (tenant_id) WHERE state = 'active';
