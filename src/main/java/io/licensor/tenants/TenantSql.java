package io.licensor.tenants;

/** The SQL of tenants and key versions, in one place. */
final class TenantSql {

  private TenantSql() {
  }

  static final String INSERT_TENANT =
      "INSERT INTO tenants (id, display_name, admin_email, identity, state) VALUES ($1, $2, $3, $4, 'active')";

  static final String INSERT_KEY_VERSION =
      "INSERT INTO key_versions (tenant_id, version, state, algorithm, origin, public_jwk, key_token, world_id)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

  static final String TENANT_EXISTS = "SELECT 1 FROM tenants WHERE id = $1";

  static final String LOAD_TENANT =
      "SELECT t.id, t.display_name, t.admin_email, t.identity, t.state, t.created_at, t.max_offline_access_seconds,"
          + " t.revision, t.change_epoch,"
          + " k.version, k.state AS key_state, k.algorithm, k.origin, k.public_jwk, k.key_token, k.created_at AS key_created_at"
          + " FROM tenants t LEFT JOIN key_versions k ON k.tenant_id = t.id"
          + " WHERE t.id = $1 ORDER BY k.version";

  /**
   * The revocation changes of tenant $1 numbered past $2 (-1: all of them), and its newest change
   * whatever its number (which tells a node whose list is newer than the database's to read it whole).
   */
  static final String REVOCATIONS_SINCE =
      "SELECT content_id, revoked, seq FROM revoked_documents WHERE tenant_id = $1 AND seq > $2"
          + " UNION ALL SELECT NULL, NULL, max(seq) FROM revoked_documents WHERE tenant_id = $1";

  /** The tenant's rights templates, archived ones included (their content stays licensable). */
  static final String TEMPLATES_OF_TENANT =
      "SELECT id, definition, archived_at, revision, created_at, updated_at FROM rights_templates WHERE tenant_id = $1";

  static final String REVOKE_DOCUMENT =
      "INSERT INTO revoked_documents (tenant_id, content_id, revoked_by) SELECT id, $2, $3 FROM tenants WHERE id = $1"
          + " ON CONFLICT (tenant_id, content_id) DO UPDATE SET revoked = true, revoked_at = now(), revoked_by = $3,"
          + " seq = nextval('revoked_documents_seq') WHERE NOT revoked_documents.revoked";

  /** A restore's revoked documents ($2, text[]): revoked here too, whatever they were here (a union). */
  static final String RESTORE_REVOKED =
      "INSERT INTO revoked_documents (tenant_id, content_id, revoked_by) SELECT $1, unnest($2::text[]), 'restore'"
          + " ON CONFLICT (tenant_id, content_id) DO UPDATE SET revoked = true, revoked_at = now(), revoked_by = 'restore',"
          + " seq = nextval('revoked_documents_seq') WHERE NOT revoked_documents.revoked";

  /** A restore's template: added unless the tenant has one of that id or name already (the one here is kept). */
  static final String RESTORE_TEMPLATE =
      "INSERT INTO rights_templates (tenant_id, id, name, definition, archived_at, created_at, updated_at)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING";

  /** Un-revoking keeps the row, marked and numbered, so nodes reading deltas see it. */
  static final String UNREVOKE_DOCUMENT = "UPDATE revoked_documents SET revoked = false, seq = nextval('revoked_documents_seq')"
      + " WHERE tenant_id = $1 AND content_id = $2 AND revoked";

  /** Raises the tenant's revision (its trigger), so every node reloads it. */
  static final String TOUCH_TENANT = "UPDATE tenants SET updated_at = now() WHERE id = $1";

  static final String REVISIONS = "SELECT id, revision FROM tenants WHERE id = ANY($1)";

  static final String TENANTS_BY_ISSUER =
      "SELECT id FROM tenants WHERE identity ->> 'issuer' = $1 LIMIT 10";

  /** Serialises registrations of one issuer (tenant creation, restore) for the rest of the transaction. */
  static final String LOCK_ISSUER = "SELECT pg_advisory_xact_lock(hashtextextended($1, 7301))";

  /** Whether other tenants trust issuer $1: any, any without a tenant claim, any with tenant claim $3. */
  static final String ISSUER_REGISTRATIONS =
      "SELECT EXISTS (SELECT 1 FROM tenants WHERE identity ->> 'issuer' = $1 AND id <> $2) AS taken,"
          + " EXISTS (SELECT 1 FROM tenants WHERE identity ->> 'issuer' = $1 AND id <> $2"
          + " AND identity -> 'tenantClaim' IS NULL) AS unbound,"
          + " EXISTS (SELECT 1 FROM tenants WHERE identity ->> 'issuer' = $1 AND id <> $2"
          + " AND identity -> 'tenantClaim' = $3::jsonb) AS same_claim";

  static final String LOCK_TENANT = "SELECT state FROM tenants WHERE id = $1 FOR UPDATE";

  static final String MAX_VERSION = "SELECT coalesce(max(version), 0) AS v,"
      + " max(created_at) FILTER (WHERE state = 'active') AS active_created_at FROM key_versions WHERE tenant_id = $1";

  static final String RETAIN_ACTIVE =
      "UPDATE key_versions SET state = 'retained', retained_at = now() WHERE tenant_id = $1 AND state = 'active'";

  /** A re-key campaign's: every delegated signing key of the tenant, gone with the versions they served. */
  static final String REVOKE_SIGNING_KEYS = "DELETE FROM signing_keys WHERE tenant_id = $1";
  static final String SET_STATE = "UPDATE tenants SET state = $2, updated_at = now() WHERE id = $1";

  static final String VERSION_STATE = "SELECT state FROM key_versions WHERE tenant_id = $1 AND version = $2";

  static final String DESTROY_VERSION =
      "UPDATE key_versions SET state = 'destroyed', key_token = NULL, destroyed_at = now(), destroy_reason = $3"
          + " WHERE tenant_id = $1 AND version = $2";

  /** The BYOK key versions of a world that still hold a key (the custody upgrade reads them). */
  static final String BYOK_KEY_TOKENS = "SELECT tenant_id, version, algorithm, key_token FROM key_versions"
      + " WHERE origin = 'byok' AND key_token IS NOT NULL AND world_id = $1 ORDER BY tenant_id, version";

  /** Replaces a key version's token with another token of the same key, unless it changed meanwhile. */
  static final String REPLACE_KEY_TOKEN =
      "UPDATE key_versions SET key_token = $4 WHERE tenant_id = $1 AND version = $2 AND key_token = $3";

  /** A destroyed version a backup recorded: its number and public key kept, no key, destroyed here now. */
  static final String INSERT_TOMBSTONE =
      "INSERT INTO key_versions (tenant_id, version, state, algorithm, origin, public_jwk, key_token, world_id,"
          + " destroyed_at, destroy_reason) VALUES ($1, $2, 'destroyed', $3, $4, $5, NULL, '', now(),"
          + " 'destroyed before the restored backup was made')";

  static final String INSERT_RESTORED_TENANT =
      "INSERT INTO tenants (id, display_name, admin_email, identity, state, created_at, max_offline_access_seconds)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7)";

  static final String REPLACE_TENANT =
      "UPDATE tenants SET display_name = $2, admin_email = $3, identity = $4, state = $5, max_offline_access_seconds = $6,"
          + " updated_at = now() WHERE id = $1";

  static final String LOCK_TENANT_FOR_CHANGE =
      "SELECT id, display_name, admin_email, identity, state, created_at, max_offline_access_seconds, revision FROM tenants"
          + " WHERE id = $1 FOR UPDATE";

  /** A tenant's own members; the revision trigger raises the revision, returned. */
  static final String CHANGE_TENANT =
      "UPDATE tenants SET display_name = $2, admin_email = $3, identity = $4, max_offline_access_seconds = $5 WHERE id = $1"
          + " RETURNING revision";

  static final String LOCK_TENANT_FOR_RESTORE = "SELECT state, updated_at FROM tenants WHERE id = $1 FOR UPDATE";

  static final String LAST_CHANGE = "SELECT updated_at FROM tenants WHERE id = $1";

  static final String VERSIONS_FOR_RESTORE =
      "SELECT version, state, public_jwk FROM key_versions WHERE tenant_id = $1 ORDER BY version";

  static final String RESTORE_VERSION_STATE =
      "UPDATE key_versions SET state = $3, retained_at = CASE WHEN $3 = 'retained' THEN coalesce(retained_at, now()) END"
          + " WHERE tenant_id = $1 AND version = $2";

  /** The tenants in an incident's scope: all, or those named. */
  static final String ADMIN_CONTACTS =
      "SELECT t.id, t.admin_email, t.state, k.origin AS active_origin, k.version AS active_version FROM tenants t"
          + " LEFT JOIN key_versions k ON k.tenant_id = t.id AND k.state = 'active'"
          + " WHERE $1 OR t.id = ANY($2) ORDER BY t.id";
}
