package io.licensor.tenants;

/** The SQL of rights templates' changes (their load with the tenant is {@link TenantSql#TEMPLATES_OF_TENANT}). */
final class TemplateSql {

  private TemplateSql() {
  }

  static final String COUNT = "SELECT count(*) AS n FROM rights_templates WHERE tenant_id = $1";

  static final String INSERT =
      "INSERT INTO rights_templates (tenant_id, id, name, definition) VALUES ($1, $2, $3, $4)"
          + " RETURNING id, definition, archived_at, revision, created_at, updated_at";

  static final String LOCK = "SELECT id, definition, archived_at, revision, created_at, updated_at FROM rights_templates"
      + " WHERE tenant_id = $1 AND id = $2 FOR UPDATE";

  static final String UPDATE =
      "UPDATE rights_templates SET name = $3, definition = $4, revision = revision + 1, updated_at = now()"
          + " WHERE tenant_id = $1 AND id = $2 RETURNING id, definition, archived_at, revision, created_at, updated_at";

  /** Archives ($3 true) or makes active again; the revision rises. */
  static final String SET_ARCHIVED =
      "UPDATE rights_templates SET archived_at = CASE WHEN $3 THEN now() END, revision = revision + 1, updated_at = now()"
          + " WHERE tenant_id = $1 AND id = $2 RETURNING id, definition, archived_at, revision, created_at, updated_at";
}
