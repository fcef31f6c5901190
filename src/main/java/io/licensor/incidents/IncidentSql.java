package io.licensor.incidents;

/** The SQL of incidents, their campaign items and their e-mails, in one place. */
final class IncidentSql {

  private IncidentSql() {
  }

  private static final String SELECT = "SELECT id, type, scope, summary, declared_by, declared_at, campaign_since,"
      + " target_algorithm, hsm_generation, hsm_update, policy, usage_report, byok_rekey FROM incidents";

  static final String GET = SELECT + " WHERE id = $1";

  static final String LATEST = SELECT + " ORDER BY declared_at DESC LIMIT $1";

  static final String INSERT_INCIDENT =
      "INSERT INTO incidents (id, type, scope, summary, declared_by, campaign_since, target_algorithm,"
          + " hsm_generation, policy, usage_report, byok_rekey)"
          + " VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END, $7, $8, $9, $10, $11)"
          + " RETURNING declared_at";

  static final String INSERT_ITEMS =
      "INSERT INTO campaign_items (incident_id, tenant_id, state, reason)"
          + " SELECT $1, t, CASE WHEN c THEN 'skipped' ELSE 'pending' END, CASE WHEN c THEN 'subscription cancelled' END"
          + " FROM unnest($2::text[], $3::boolean[]) AS u(t, c)";

  static final String INSERT_MAIL =
      "INSERT INTO outbox (incident_id, tenant_id, recipient, subject, body, state)"
          + " SELECT $1, t, r, s, b, 'pending' FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(t, r, s, b)";

  static final String START_CAMPAIGN =
      "UPDATE incidents SET campaign_since = now(), hsm_update = $2,"
          + " detail = detail || jsonb_build_object('hsmUpdatedAt', now()) WHERE id = $1 AND campaign_since IS NULL";

  static final String ITEM_COUNTS =
      "SELECT state, count(*) AS n FROM campaign_items WHERE incident_id = $1"
          + " GROUP BY state";

  static final String ITEM_EXCEPTIONS =
      "SELECT tenant_id, state, reason FROM campaign_items"
          + " WHERE incident_id = $1 AND (state IN ('failed', 'skipped', 'awaiting-customer')"
          + " OR (state = 'pending' AND reason IS NOT NULL))"
          + " ORDER BY tenant_id LIMIT 100";

  static final String MAIL_COUNTS =
      "SELECT state, count(*) AS n, max(attempts) AS attempts,"
          + " max(last_error) FILTER (WHERE state = 'pending') AS last_error FROM outbox WHERE incident_id = $1 GROUP BY state";

  static final String CLAIM_ITEMS =
      "UPDATE campaign_items c SET claimed_until = now() + interval '60 seconds',"
          + " attempts = CASE WHEN c.state = 'pending' THEN c.attempts + 1 ELSE c.attempts END, updated_at = now()"
          + " FROM (SELECT i.incident_id, i.tenant_id FROM campaign_items i JOIN incidents n ON n.id = i.incident_id"
          + "       WHERE i.state IN ('pending', 'awaiting-customer') AND n.campaign_since IS NOT NULL"
          + "       AND (i.claimed_until IS NULL OR i.claimed_until < now())"
          + "       ORDER BY n.declared_at, i.tenant_id LIMIT $1 FOR UPDATE OF i SKIP LOCKED) picked"
          + " WHERE c.incident_id = picked.incident_id AND c.tenant_id = picked.tenant_id"
          + " RETURNING c.incident_id, c.tenant_id, c.attempts, c.state";

  /** An item's outcome; an item waiting for the customer's key is looked at again in $6 seconds. */
  static final String FINISH_ITEM =
      "UPDATE campaign_items SET state = $3, reason = $4, new_kid = $5,"
          + " claimed_until = CASE WHEN $3 = 'awaiting-customer' THEN now() + make_interval(secs => $6) END,"
          + " updated_at = now() WHERE incident_id = $1 AND tenant_id = $2";

  /** One e-mail to a tenant's admin, at the address the tenant has now. */
  static final String INSERT_TENANT_MAIL =
      "INSERT INTO outbox (incident_id, tenant_id, recipient, subject, body, state)"
          + " SELECT $1, id, admin_email, $3, $4, 'pending' FROM tenants WHERE id = $2";

  static final String RETRY_ITEM =
      "UPDATE campaign_items SET reason = $3, claimed_until = now() + make_interval(secs => $4),"
          + " updated_at = now() WHERE incident_id = $1 AND tenant_id = $2";
}
