-- Key-exchange keys (KEKs) for BYOK transfers: RSA-4096 keys in the HSM, usable only to import a
-- tenant key for the tenant they are bound to (which may not exist yet), until they expire.
CREATE TABLE byok_keks (
  kid         text PRIMARY KEY,
  tenant_id   text NOT NULL CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  key_token   text NOT NULL,
  world_id    text NOT NULL,
  public_pem  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);

CREATE INDEX byok_keks_tenant ON byok_keks (tenant_id);
