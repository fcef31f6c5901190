-- Delegated use-license signing keys (SPEC §3; docs/design.md, "Delegated signing"): short-lived
-- EC P-256 keys a node makes in its HSM and has certified by a key version's key. Their private
-- halves never leave the node's HSM; this table holds what jwks.json publishes of them, on every
-- node, for as long as a use license they signed may be verified.
CREATE SEQUENCE signing_key_numbers;

CREATE TABLE signing_keys (
  tenant_id        text NOT NULL,
  version          integer NOT NULL,
  -- the kid is tenant_id:version.n
  n                bigint NOT NULL,
  node_id          text NOT NULL,
  -- the tenant's revision the key was made for: a node uses it only while the tenant stays there
  tenant_revision  bigint NOT NULL,
  -- the JWK jwks.json lists, with its certificate in x5c
  public_jwk       jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sign_until       timestamptz NOT NULL,
  -- jwks.json lists the key until then: the certificate's notAfter, lowered when the key retires
  -- to the latest expiry of the use licenses it signed
  listed_until     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, version, n),
  FOREIGN KEY (tenant_id, version) REFERENCES key_versions (tenant_id, version) ON DELETE CASCADE
);

CREATE INDEX signing_keys_listed_until ON signing_keys (listed_until);

-- Gone with their version: a cancelled tenant's, and a destroyed version's, delegated keys are
-- deleted in the transaction that cancels or destroys (whatever code path or manual SQL does it).
CREATE FUNCTION signing_keys_revoke_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM signing_keys WHERE tenant_id = NEW.id;
  RETURN NULL;
END $$;

CREATE TRIGGER signing_keys_tenant_cancelled AFTER UPDATE OF state ON tenants
  FOR EACH ROW WHEN (NEW.state = 'cancelled') EXECUTE FUNCTION signing_keys_revoke_tenant();

CREATE FUNCTION signing_keys_revoke_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM signing_keys WHERE tenant_id = NEW.tenant_id AND version = NEW.version;
  RETURN NULL;
END $$;

CREATE TRIGGER signing_keys_version_destroyed AFTER UPDATE OF state ON key_versions
  FOR EACH ROW WHEN (NEW.state = 'destroyed') EXECUTE FUNCTION signing_keys_revoke_version();
