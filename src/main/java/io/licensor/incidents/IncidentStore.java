package io.licensor.incidents;

import io.licensor.tenants.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Incidents, their campaign items and their e-mails in PostgreSQL. */
public final class IncidentStore {

  /** A campaign item a node has claimed; {@code awaitingCustomer}: it already waits for the customer's key (its admin was told). */
  record Claim(String incidentId, String tenantId, int attempts, boolean awaitingCustomer) {
  }

  private final Pool pool;
  private final int awaitingRecheckSeconds;

  /** {@code awaitingRecheckSeconds}: how often an item waiting for the customer's key is looked at again. */
  public IncidentStore(Pool pool, int awaitingRecheckSeconds) {
    this.pool = pool;
    this.awaitingRecheckSeconds = awaitingRecheckSeconds;
  }

  Pool pool() {
    return pool;
  }

  Future<OffsetDateTime> insert(SqlConnection conn, String id, IncidentType type, JsonObject scope, String summary, String by,
                                boolean campaignNow, String targetAlgorithm, String hsmGeneration, JsonObject policy,
                                JsonObject usageReport, boolean byokServiceKey) {
    return conn.preparedQuery(IncidentSql.INSERT_INCIDENT)
        .execute(Tuple.tuple().addString(id).addString(type.wireName()).addValue(scope).addString(summary).addString(by)
            .addBoolean(campaignNow).addString(targetAlgorithm).addString(hsmGeneration).addValue(policy).addValue(usageReport)
            .addString(byokServiceKey ? "service-key" : "await-customer"))
        .map(rows -> rows.iterator().next().getOffsetDateTime("declared_at"));
  }

  /** One campaign item per tenant: pending, or skipped for a cancelled subscription. */
  Future<Void> insertItems(SqlConnection conn, String incidentId, List<TenantStore.AdminContact> tenants) {
    String[] ids = tenants.stream().map(TenantStore.AdminContact::id).toArray(String[]::new);
    Boolean[] cancelled = tenants.stream().map(TenantStore.AdminContact::cancelled).toArray(Boolean[]::new);
    return conn.preparedQuery(IncidentSql.INSERT_ITEMS)
        .execute(Tuple.of(incidentId, ids, cancelled)).mapEmpty();
  }

  /** The e-mails of a step, in the step's transaction. */
  Future<Void> insertMail(SqlConnection conn, String incidentId, List<String> tenants, List<String> recipients,
                          List<String> subjects, List<String> bodies) {
    return conn.preparedQuery(IncidentSql.INSERT_MAIL)
        .execute(Tuple.of(incidentId, tenants.toArray(new String[0]), recipients.toArray(new String[0]),
            subjects.toArray(new String[0]), bodies.toArray(new String[0]))).mapEmpty();
  }

  /** Starts a waiting campaign (the HSM update was recorded); false if it had started already. */
  Future<Boolean> startCampaign(String incidentId, String hsmUpdate) {
    return pool.preparedQuery(IncidentSql.START_CAMPAIGN)
        .execute(Tuple.of(incidentId, hsmUpdate)).map(r -> r.rowCount() == 1);
  }

  Future<Optional<Incident>> get(String id) {
    return pool.preparedQuery(IncidentSql.GET).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(incidentOf(rows.iterator().next())));
  }

  Future<List<Incident>> list(int limit) {
    return pool.preparedQuery(IncidentSql.LATEST).execute(Tuple.of((long) limit)).map(rows -> {
      List<Incident> all = new ArrayList<>();
      rows.forEach(r -> all.add(incidentOf(r)));
      return all;
    });
  }

  private static Incident incidentOf(Row r) {
    return new Incident(r.getString("id"), IncidentType.fromWireName(r.getString("type")).orElseThrow(),
        (JsonObject) r.getValue("scope"), r.getString("summary"), r.getString("declared_by"),
        r.getOffsetDateTime("declared_at"), r.getOffsetDateTime("campaign_since"), r.getString("target_algorithm"),
        r.getString("hsm_generation"), r.getString("hsm_update"), (JsonObject) r.getValue("policy"),
        (JsonObject) r.getValue("usage_report"), "service-key".equals(r.getString("byok_rekey")));
  }

  /** Campaign and notification progress of one incident. */
  Future<JsonObject> progress(String id) {
    Future<JsonObject> items = pool.preparedQuery(IncidentSql.ITEM_COUNTS).execute(Tuple.of(id)).map(rows -> {
          JsonObject counts = new JsonObject().put("pending", 0L).put("done", 0L).put("failed", 0L).put("skipped", 0L)
              .put("awaiting-customer", 0L);
          rows.forEach(r -> counts.put(r.getString("state"), r.getLong("n")));
          return counts;
        });
    Future<JsonArray> exceptions = pool.preparedQuery(IncidentSql.ITEM_EXCEPTIONS).execute(Tuple.of(id)).map(rows -> {
          JsonArray list = new JsonArray();
          rows.forEach(r -> list.add(new JsonObject().put("tenant", r.getString("tenant_id")).put("state", r.getString("state"))
              .put("reason", r.getString("reason"))));
          return list;
        });
    Future<JsonObject> mail = pool.preparedQuery(IncidentSql.MAIL_COUNTS)
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
          .put("remaining", counts.getLong("pending")).put("awaitingCustomerKey", counts.getLong("awaiting-customer"))
          .put("exceptions", exceptions.result());
      JsonObject notifications = mail.result();
      notifications.put("total", notifications.getLong("pending") + notifications.getLong("sent") + notifications.getLong("logged"));
      return new JsonObject().put("campaign", campaign).put("notifications", notifications);
    });
  }

  /** Claims up to {@code n} runnable campaign items for 60 s (another node takes them if this one dies). */
  Future<List<Claim>> claim(int n) {
    return pool.preparedQuery(IncidentSql.CLAIM_ITEMS)
        .execute(Tuple.of((long) n)).map(rows -> {
          List<Claim> claims = new ArrayList<>();
          rows.forEach(r -> claims.add(new Claim(r.getString("incident_id"), r.getString("tenant_id"), r.getInteger("attempts"),
              "awaiting-customer".equals(r.getString("state")))));
          return claims;
        });
  }

  /** A tenant's e-mail: its subject and text. */
  record Mail(String subject, String body) {
  }

  /**
   * An item's outcome, and the e-mail telling the tenant's admin (null: none), in one transaction:
   * the admin hears what happened to their tenant exactly once per outcome.
   */
  Future<Void> finish(Claim claim, String state, String reason, String newKid, Mail mail) {
    return pool.withTransaction(conn -> conn.preparedQuery(IncidentSql.FINISH_ITEM)
        .execute(Tuple.of(claim.incidentId(), claim.tenantId(), state, reason, newKid, (double) awaitingRecheckSeconds))
        .compose(r -> mail == null ? Future.succeededFuture()
            : conn.preparedQuery(IncidentSql.INSERT_TENANT_MAIL)
                .execute(Tuple.of(claim.incidentId(), claim.tenantId(), mail.subject(), mail.body())).mapEmpty()))
        .mapEmpty();
  }


  /** A failed attempt: retried after {@code retrySeconds}. */
  Future<Void> retryLater(Claim claim, String reason, int retrySeconds) {
    return pool.preparedQuery(IncidentSql.RETRY_ITEM)
        .execute(Tuple.of(claim.incidentId(), claim.tenantId(), reason, (double) retrySeconds)).mapEmpty();
  }
}
