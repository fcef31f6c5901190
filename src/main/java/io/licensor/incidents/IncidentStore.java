package io.licensor.incidents;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Incidents, their campaign items and their e-mails in PostgreSQL. */
public final class IncidentStore {

  /** A tenant in an incident's scope. */
  record ScopedTenant(String id, String adminEmail, boolean cancelled) {
  }

  /** A campaign item a node has claimed. */
  record Claim(String incidentId, String tenantId, int attempts) {
  }

  private final Pool pool;

  public IncidentStore(Pool pool) {
    this.pool = pool;
  }

  Pool pool() {
    return pool;
  }

  /** The tenants in scope: all, or those named (unknown names are returned apart). */
  Future<List<ScopedTenant>> scope(SqlClient client, boolean all, List<String> ids) {
    return client.preparedQuery("SELECT id, admin_email, state FROM tenants WHERE $1 OR id = ANY($2) ORDER BY id")
        .execute(Tuple.tuple().addBoolean(all).addArrayOfString(ids.toArray(new String[0])))
        .map(rows -> {
          List<ScopedTenant> tenants = new ArrayList<>();
          rows.forEach(r -> tenants.add(new ScopedTenant(r.getString("id"), r.getString("admin_email"),
              "cancelled".equals(r.getString("state")))));
          return tenants;
        });
  }

  Future<OffsetDateTime> insert(SqlConnection conn, String id, IncidentType type, JsonObject scope, String summary, String by,
                                boolean campaignNow, String targetAlgorithm, String hsmGeneration, JsonObject policy,
                                JsonObject usageReport) {
    return conn.preparedQuery("INSERT INTO incidents (id, type, scope, summary, declared_by, campaign_since, target_algorithm,"
            + " hsm_generation, policy, usage_report) VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END, $7, $8, $9, $10)"
            + " RETURNING declared_at")
        .execute(Tuple.tuple().addString(id).addString(type.wireName()).addValue(scope).addString(summary).addString(by)
            .addBoolean(campaignNow).addString(targetAlgorithm).addString(hsmGeneration).addValue(policy).addValue(usageReport))
        .map(rows -> rows.iterator().next().getOffsetDateTime("declared_at"));
  }

  /** One campaign item per tenant: pending, or skipped for a cancelled subscription. */
  Future<Void> insertItems(SqlConnection conn, String incidentId, List<ScopedTenant> tenants) {
    String[] ids = tenants.stream().map(ScopedTenant::id).toArray(String[]::new);
    Boolean[] cancelled = tenants.stream().map(ScopedTenant::cancelled).toArray(Boolean[]::new);
    return conn.preparedQuery("INSERT INTO campaign_items (incident_id, tenant_id, state, reason)"
            + " SELECT $1, t, CASE WHEN c THEN 'skipped' ELSE 'pending' END, CASE WHEN c THEN 'subscription cancelled' END"
            + " FROM unnest($2::text[], $3::boolean[]) AS u(t, c)")
        .execute(Tuple.of(incidentId, ids, cancelled)).mapEmpty();
  }

  /** The e-mails of a step, in the step's transaction. */
  Future<Void> insertMail(SqlConnection conn, String incidentId, List<String> tenants, List<String> recipients,
                          List<String> subjects, List<String> bodies) {
    return conn.preparedQuery("INSERT INTO outbox (incident_id, tenant_id, recipient, subject, body, state)"
            + " SELECT $1, t, r, s, b, 'pending' FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(t, r, s, b)")
        .execute(Tuple.of(incidentId, tenants.toArray(new String[0]), recipients.toArray(new String[0]),
            subjects.toArray(new String[0]), bodies.toArray(new String[0]))).mapEmpty();
  }

  /** Starts a waiting campaign (the HSM update was recorded); false if it had started already. */
  Future<Boolean> startCampaign(String incidentId, String hsmUpdate) {
    return pool.preparedQuery("UPDATE incidents SET campaign_since = now(), hsm_update = $2,"
            + " detail = detail || jsonb_build_object('hsmUpdatedAt', now()) WHERE id = $1 AND campaign_since IS NULL")
        .execute(Tuple.of(incidentId, hsmUpdate)).map(r -> r.rowCount() == 1);
  }

  Future<Optional<Incident>> get(String id) {
    return pool.preparedQuery(SELECT + " WHERE id = $1").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(incidentOf(rows.iterator().next())));
  }

  Future<List<Incident>> list(int limit) {
    return pool.preparedQuery(SELECT + " ORDER BY declared_at DESC LIMIT $1").execute(Tuple.of((long) limit)).map(rows -> {
      List<Incident> all = new ArrayList<>();
      rows.forEach(r -> all.add(incidentOf(r)));
      return all;
    });
  }

  private static final String SELECT = "SELECT id, type, scope, summary, declared_by, declared_at, campaign_since,"
      + " target_algorithm, hsm_generation, hsm_update, policy, usage_report FROM incidents";

  private static Incident incidentOf(Row r) {
    return new Incident(r.getString("id"), IncidentType.fromWireName(r.getString("type")).orElseThrow(),
        (JsonObject) r.getValue("scope"), r.getString("summary"), r.getString("declared_by"),
        r.getOffsetDateTime("declared_at"), r.getOffsetDateTime("campaign_since"), r.getString("target_algorithm"),
        r.getString("hsm_generation"), r.getString("hsm_update"), (JsonObject) r.getValue("policy"),
        (JsonObject) r.getValue("usage_report"));
  }

  /** Campaign and notification progress of one incident. */
  Future<JsonObject> progress(String id) {
    Future<JsonObject> items = pool.preparedQuery("SELECT state, count(*) AS n FROM campaign_items WHERE incident_id = $1"
        + " GROUP BY state").execute(Tuple.of(id)).map(rows -> {
          JsonObject counts = new JsonObject().put("pending", 0L).put("done", 0L).put("failed", 0L).put("skipped", 0L);
          rows.forEach(r -> counts.put(r.getString("state"), r.getLong("n")));
          return counts;
        });
    Future<JsonArray> exceptions = pool.preparedQuery("SELECT tenant_id, state, reason FROM campaign_items"
        + " WHERE incident_id = $1 AND (state IN ('failed', 'skipped') OR (state = 'pending' AND reason IS NOT NULL))"
        + " ORDER BY tenant_id LIMIT 100").execute(Tuple.of(id)).map(rows -> {
          JsonArray list = new JsonArray();
          rows.forEach(r -> list.add(new JsonObject().put("tenant", r.getString("tenant_id")).put("state", r.getString("state"))
              .put("reason", r.getString("reason"))));
          return list;
        });
    Future<JsonObject> mail = pool.preparedQuery("SELECT state, count(*) AS n, max(attempts) AS attempts,"
        + " max(last_error) FILTER (WHERE state = 'pending') AS last_error FROM outbox WHERE incident_id = $1 GROUP BY state")
        .execute(Tuple.of(id)).map(rows -> {
          JsonObject m = new JsonObject().put("pending", 0L).put("sent", 0L).put("logged", 0L);
          rows.forEach(r -> {
            m.put(r.getString("state"), r.getLong("n"));
            if (r.getString("last_error") != null) {
              m.put("lastError", r.getString("last_error"));
            }
          });
          return m;
        });
    return Future.all(items, exceptions, mail).map(x -> {
      JsonObject counts = items.result();
      long total = counts.stream().mapToLong(e -> ((Number) e.getValue()).longValue()).sum();
      JsonObject campaign = new JsonObject().put("total", total).put("rekeyed", counts.getLong("done"))
          .put("failed", counts.getLong("failed")).put("skipped", counts.getLong("skipped"))
          .put("remaining", counts.getLong("pending")).put("exceptions", exceptions.result());
      JsonObject notifications = mail.result();
      notifications.put("total", notifications.getLong("pending") + notifications.getLong("sent") + notifications.getLong("logged"));
      return new JsonObject().put("campaign", campaign).put("notifications", notifications);
    });
  }

  /** Claims up to {@code n} runnable campaign items for 60 s (another node takes them if this one dies). */
  Future<List<Claim>> claim(int n) {
    return pool.preparedQuery("UPDATE campaign_items c SET claimed_until = now() + interval '60 seconds',"
            + " attempts = c.attempts + 1, updated_at = now()"
            + " FROM (SELECT i.incident_id, i.tenant_id FROM campaign_items i JOIN incidents n ON n.id = i.incident_id"
            + "       WHERE i.state = 'pending' AND n.campaign_since IS NOT NULL"
            + "       AND (i.claimed_until IS NULL OR i.claimed_until < now())"
            + "       ORDER BY n.declared_at, i.tenant_id LIMIT $1 FOR UPDATE OF i SKIP LOCKED) picked"
            + " WHERE c.incident_id = picked.incident_id AND c.tenant_id = picked.tenant_id"
            + " RETURNING c.incident_id, c.tenant_id, c.attempts")
        .execute(Tuple.of((long) n)).map(rows -> {
          List<Claim> claims = new ArrayList<>();
          rows.forEach(r -> claims.add(new Claim(r.getString("incident_id"), r.getString("tenant_id"), r.getInteger("attempts"))));
          return claims;
        });
  }

  Future<Void> finish(Claim claim, String state, String reason, String newKid) {
    return pool.preparedQuery("UPDATE campaign_items SET state = $3, reason = $4, new_kid = $5, claimed_until = NULL,"
            + " updated_at = now() WHERE incident_id = $1 AND tenant_id = $2")
        .execute(Tuple.of(claim.incidentId(), claim.tenantId(), state, reason, newKid)).mapEmpty();
  }

  /** A failed attempt: retried after {@code retrySeconds}. */
  Future<Void> retryLater(Claim claim, String reason, int retrySeconds) {
    return pool.preparedQuery("UPDATE campaign_items SET reason = $3, claimed_until = now() + make_interval(secs => $4),"
            + " updated_at = now() WHERE incident_id = $1 AND tenant_id = $2")
        .execute(Tuple.of(claim.incidentId(), claim.tenantId(), reason, (double) retrySeconds)).mapEmpty();
  }
}
