package io.licensor.incidents;

import io.licensor.audit.AuditEvent;
import io.licensor.audit.AuditLog;
import io.licensor.audit.AuditTrail;
import io.licensor.cryptopolicy.CryptoPolicy;
import io.licensor.cryptopolicy.CryptoPolicyStore;
import io.licensor.errors.Problem;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.ids.TenantId;
import io.licensor.tenants.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Breach response: an operator declares an incident; its playbook runs (SPEC §6). The declaration
 * is one transaction: the incident, its campaign items, the crypto policy it raises and the e-mail
 * to every affected tenant admin commit together or not at all. Every step is audited: in each
 * tenant's chain, and service-wide steps in the {@value #SERVICE_CHAIN} chain.
 */
public final class IncidentService {

  private static final String SERVICE_CHAIN = AuditEvent.SERVICE_CHAIN;
  static final int MAX_SCOPE = 10_000;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<String> MEMBERS = Set.of("type", "scope", "summary", "policy", "targetAlgorithm",
      "hsmGeneration", "window", "byok");

  private final IncidentStore store;
  private final CryptoPolicyStore policies;
  private final AuditLog audit;
  private final AuditTrail trail;
  private final TenantStore tenants;
  private final Runnable nudge;

  /** {@code nudge}: wakes the campaign runner and the mail sender after a step commits. */
  public IncidentService(IncidentStore store, TenantStore tenants, CryptoPolicyStore policies, AuditLog audit,
                         AuditTrail trail, Runnable nudge) {
    this.store = store;
    this.tenants = tenants;
    this.trail = trail;
    this.policies = policies;
    this.audit = audit;
    this.nudge = nudge;
  }

  /** What a declaration asks for, checked. */
  private record Declaration(IncidentType type, boolean all, List<String> tenants, String summary, CryptoPolicy policy,
                             KeyAlgorithm target, String hsmGeneration, OffsetDateTime from, OffsetDateTime to,
                             boolean byokServiceKey) {
  }

  public Future<JsonObject> declare(String by, JsonObject body, String requestId) {
    Declaration d;
    try {
      d = parse(body);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    String id = "inc-" + HexFormat.of().formatHex(randomBytes());
    JsonObject scope = d.all() ? new JsonObject().put("all", true) : new JsonObject().put("tenants", new JsonArray(d.tenants()));
    List<TenantStore.AdminContact> affected = new ArrayList<>();
    CryptoPolicy[] raisedFrom = new CryptoPolicy[1];
    // The usage report reads the audit (its own pool) before the transaction opens: a long read
    // inside it would leave the session idle in the transaction (database.idleTransactionTimeoutMs).
    Future<JsonObject> usage = d.type() == IncidentType.UNAUTHORIZED_USE
        ? trail.usage(d.all(), d.tenants(), d.from(), d.to()) : Future.succeededFuture(null);
    return usage.compose(usageReport -> store.pool().withTransaction(conn -> raisePolicy(conn, d, by, raisedFrom)
            .compose(v -> tenants.adminContacts(conn, d.all(), d.tenants()))
            .compose(tenants -> {
              if (!d.all() && tenants.size() != d.tenants().size()) {
                Set<String> found = new LinkedHashSet<>();
                tenants.forEach(t -> found.add(t.id()));
                List<String> unknown = d.tenants().stream().filter(t -> !found.contains(t)).limit(10).toList();
                return Future.failedFuture(Problem.INVALID_REQUEST.with("scope.tenants: no such tenant(s): "
                    + String.join(", ", unknown)));
              }
              affected.addAll(tenants);
              return Future.succeededFuture(usageReport);
            })
            .compose(report -> store.insert(conn, id, d.type(), scope, d.summary(), by,
                d.type() == IncidentType.KEY_COMPROMISED || d.type() == IncidentType.ALGORITHM_WEAKNESS,
                d.target() == null ? null : d.target().wireName(), d.hsmGeneration(),
                d.policy() == null ? null : d.policy().toJson(), report, d.byokServiceKey()))
            .compose(declaredAt -> {
              Incident incident = new Incident(id, d.type(), scope, d.summary(), by, declaredAt, null, null, null, null,
                  d.policy() == null ? null : d.policy().toJson(), usageReport, d.byokServiceKey());
              Future<Void> items = d.type().rekeys() ? store.insertItems(conn, id, affected) : Future.succeededFuture();
              List<String> ids = new ArrayList<>();
              List<String> recipients = new ArrayList<>();
              List<String> subjects = new ArrayList<>();
              List<String> bodies = new ArrayList<>();
              for (TenantStore.AdminContact t : affected) {
                ids.add(t.id());
                recipients.add(t.adminEmail());
                subjects.add(Notifications.subject(incident, t.id()));
                bodies.add(Notifications.body(incident, t, usageReport));
              }
              return items.compose(v -> store.insertMail(conn, id, ids, recipients, subjects, bodies));
            })))
        .compose(v -> auditDeclaration(by, id, d, affected, raisedFrom[0], requestId))
        .compose(v -> {
          nudge.run();
          return get(id);
        });
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return b;
  }

  /** algorithm-weakness: the new policy replaces the current one, which it must not weaken. */
  private Future<Void> raisePolicy(SqlConnection conn, Declaration d, String by, CryptoPolicy[] raisedFrom) {
    if (d.policy() == null) {
      return Future.succeededFuture();
    }
    return policies.currentForUpdate(conn)
        .compose(current -> {
          if (!d.policy().atLeastAsStrictAs(current)) {
            return Future.failedFuture(Problem.INVALID_REQUEST.with("policy must raise the crypto policy, not lower it: it "
                + "allows " + d.policy().allowedNow() + "; the current one allows " + current.allowedNow()));
          }
          raisedFrom[0] = current;
          return policies.put(conn, d.policy(), by);
        });
  }

  private Future<Void> auditDeclaration(String by, String id, Declaration d, List<TenantStore.AdminContact> affected,
                                        CryptoPolicy raisedFrom, String requestId) {
    List<Future<Void>> records = new ArrayList<>();
    String detail = new JsonObject().put("incident", id).put("type", d.type().wireName()).encode();
    records.add(audit.record(AuditEvent.now(SERVICE_CHAIN, null, by, "incident.declared", "ok", audit.node(), requestId,
        new JsonObject().put("incident", id).put("type", d.type().wireName()).put("tenants", affected.size()).encode())));
    if (raisedFrom != null) {
      records.add(audit.record(AuditEvent.now(SERVICE_CHAIN, null, by, "crypto-policy.raised", "ok", audit.node(), requestId,
          new JsonObject().put("incident", id).put("from", raisedFrom.toJson()).put("to", d.policy().toJson()).encode())));
    }
    for (TenantStore.AdminContact t : affected) {
      records.add(audit.record(AuditEvent.now(t.id(), null, by, "incident.declared", "ok", audit.node(), requestId, detail)));
    }
    return Future.all(records).mapEmpty();
  }

  /** hsm-vulnerability: the operator records the HSM update; the campaign starts. */
  public Future<JsonObject> recordHsmUpdate(String by, String id, JsonObject body, String requestId) {
    Object update = body.getValue("hsmUpdate");
    if (!(update instanceof String u) || u.isBlank() || u.length() > 500 || u.chars().anyMatch(Character::isISOControl)) {
      return Future.failedFuture(Problem.INVALID_REQUEST.with("hsmUpdate is required: what was updated (firmware, model), "
          + "at most 500 characters"));
    }
    return require(id).compose(incident -> {
      if (incident.type() != IncidentType.HSM_VULNERABILITY) {
        return Future.failedFuture(Problem.INCIDENT_STATE.with("only hsm-vulnerability incidents wait for an HSM update"));
      }
      return store.startCampaign(id, u).compose(started -> started
          ? audit.record(AuditEvent.now(SERVICE_CHAIN, null, by, "incident.hsm-updated", "ok", audit.node(), requestId,
              new JsonObject().put("incident", id).put("hsmUpdate", u).encode()))
          : Future.failedFuture(Problem.INCIDENT_STATE.with("the HSM update of incident " + id + " was already recorded")));
    }).compose(v -> {
      nudge.run();
      return get(id);
    });
  }

  private Future<Incident> require(String id) {
    if (id == null || !id.matches("inc-[0-9a-f]{16}")) {
      return Future.failedFuture(Problem.INCIDENT_NOT_FOUND.with("no incident '" + (id == null ? "" : id.replaceAll("[^\\w-]", "?")) + "'"));
    }
    return store.get(id).map(i -> i.orElseThrow(() -> Problem.INCIDENT_NOT_FOUND.with("no incident '" + id + "'")));
  }

  /** The incident, its plan, its actions and their progress. */
  public Future<JsonObject> get(String id) {
    return require(id).compose(incident -> store.progress(id).map(progress -> view(incident, progress)));
  }

  public Future<JsonArray> list(int limit) {
    return store.list(limit).map(all -> {
      JsonArray out = new JsonArray();
      all.forEach(i -> out.add(new JsonObject().put("id", i.id()).put("type", i.type().wireName())
          .put("summary", i.summary()).put("declaredAt", i.declaredAt().toString()).put("scope", i.scope())));
      return out;
    });
  }

  static JsonObject view(Incident i, JsonObject progress) {
    JsonObject campaign = progress.getJsonObject("campaign");
    JsonObject notifications = progress.getJsonObject("notifications");
    String state;
    if (!i.type().rekeys()) {
      state = "completed";
    } else if (i.campaignSince() == null) {
      state = "awaiting-hsm-update";
    } else {
      state = campaign.getLong("remaining") > 0 ? "campaign-running"
          : campaign.getLong("awaitingCustomerKey", 0L) > 0 ? "awaiting-customer-keys" : "campaign-completed";
    }
    JsonArray actions = new JsonArray();
    if (i.policy() != null) {
      actions.add("crypto policy raised: new key versions may use " + String.join(", ",
          i.policy().getJsonArray("effective").getList()));
    }
    switch (i.type()) {
      case KEY_COMPROMISED, ALGORITHM_WEAKNESS -> actions.add("re-key campaign over " + campaign.getLong("total")
          + " tenant(s), started " + i.campaignSince());
      case HSM_VULNERABILITY -> actions.add(i.campaignSince() == null
          ? "HSM generation '" + i.hsmGeneration() + "' marked affected; the re-key campaign over " + campaign.getLong("total")
              + " tenant(s) starts when the HSM update is recorded (POST /v1/incidents/" + i.id() + "/hsm-updated)"
          : "HSM updated (" + i.hsmUpdate() + "); re-key campaign over " + campaign.getLong("total") + " tenant(s) started "
              + i.campaignSince());
      case UNAUTHORIZED_USE -> actions.add("no re-key (it would not help: the key did not leave the HSM); nothing frozen; "
          + "key-usage audit of the scope attached (usageReport)");
    }
    actions.add(notifications.getLong("total") + " e-mail(s) to tenant administrators queued in the outbox");
    JsonObject view = new JsonObject()
        .put("id", i.id())
        .put("type", i.type().wireName())
        .put("summary", i.summary())
        .put("scope", i.scope())
        .put("declaredBy", i.declaredBy())
        .put("declaredAt", i.declaredAt().toString())
        .put("state", state)
        .put("plan", i.type().playbook())
        .put("actions", actions)
        .put("rekey", i.type().rekeys())
        .put("campaign", campaign)
        .put("byok", i.byokServiceKey() ? "service-key" : "await-customer")
        .put("notifications", notifications);
    if (!i.type().rekeys()) {
      view.put("rekeyReason", "unauthorized use of a key that did not leave the HSM: a new key would not stop it; revoke the "
          + "users' or applications' credentials instead");
    }
    if (i.campaignSince() != null) {
      view.put("campaignSince", i.campaignSince().toString());
    }
    if (i.policy() != null) {
      view.put("policy", i.policy());
    }
    if (i.targetAlgorithm() != null) {
      view.put("targetAlgorithm", i.targetAlgorithm());
    }
    if (i.hsmGeneration() != null) {
      view.put("hsmGeneration", i.hsmGeneration());
    }
    if (i.hsmUpdate() != null) {
      view.put("hsmUpdate", i.hsmUpdate());
    }
    if (i.usageReport() != null) {
      view.put("usageReport", i.usageReport());
    }
    return view;
  }

  private static Declaration parse(JsonObject body) {
    for (String key : body.fieldNames()) {
      if (!MEMBERS.contains(key)) {
        throw Problem.INVALID_REQUEST.with("unknown member '" + key.replaceAll("[^\\w-]", "?") + "'; an incident has "
            + String.join(", ", MEMBERS.stream().sorted().toList()));
      }
    }
    IncidentType type = body.getValue("type") instanceof String s ? IncidentType.fromWireName(s).orElse(null) : null;
    if (type == null) {
      throw Problem.INVALID_REQUEST.with("type must be one of key-compromised, unauthorized-use, hsm-vulnerability, "
          + "algorithm-weakness");
    }
    if (!(body.getValue("scope") instanceof JsonObject scope) || scope.size() != 1) {
      throw Problem.INVALID_REQUEST.with("scope must be {\"tenants\": [ids]} or {\"all\": true}");
    }
    boolean all = false;
    List<String> tenants = new ArrayList<>();
    if (scope.containsKey("all")) {
      if (!Boolean.TRUE.equals(scope.getValue("all"))) {
        throw Problem.INVALID_REQUEST.with("scope.all must be true (or name the tenants)");
      }
      all = true;
    } else if (scope.getValue("tenants") instanceof JsonArray ids && !ids.isEmpty() && ids.size() <= MAX_SCOPE) {
      Set<String> distinct = new LinkedHashSet<>();
      for (Object t : ids) {
        if (!(t instanceof String s) || !TenantId.isValid(s)) {
          throw Problem.INVALID_REQUEST.with("scope.tenants: each must be a tenant id (" + TenantId.FORM + ")");
        }
        distinct.add(s);
      }
      tenants.addAll(distinct);
    } else {
      throw Problem.INVALID_REQUEST.with("scope.tenants must list 1 to " + MAX_SCOPE + " tenant ids");
    }
    if (!(body.getValue("summary") instanceof String summary) || summary.isBlank() || summary.length() > 2000
        || summary.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n')) {
      throw Problem.INVALID_REQUEST.with("summary is required: 1 to 2000 characters, no control characters but new lines");
    }
    CryptoPolicy policy = null;
    KeyAlgorithm target = null;
    String hsmGeneration = null;
    OffsetDateTime to = OffsetDateTime.now(ZoneOffset.UTC);
    OffsetDateTime from = to.minusDays(30);
    if (body.containsKey("targetAlgorithm")) {
      target = body.getValue("targetAlgorithm") instanceof String s ? KeyAlgorithm.fromWireName(s).orElse(null) : null;
      if (target == null || type != IncidentType.ALGORITHM_WEAKNESS) {
        throw Problem.INVALID_REQUEST.with("targetAlgorithm: a key algorithm, for algorithm-weakness only");
      }
    }
    switch (type) {
      case ALGORITHM_WEAKNESS -> {
        policy = CryptoPolicy.parse(body.getValue("policy"), "policy");
        if (target != null && !policy.allows(target)) {
          throw Problem.INVALID_REQUEST.with("targetAlgorithm " + target.wireName() + " does not meet the new policy");
        }
      }
      case HSM_VULNERABILITY -> {
        if (!(body.getValue("hsmGeneration") instanceof String g) || g.isBlank() || g.length() > 200
            || g.chars().anyMatch(Character::isISOControl)) {
          throw Problem.INVALID_REQUEST.with("hsmGeneration is required for hsm-vulnerability: the affected HSM model or "
              + "firmware, at most 200 characters");
        }
        hsmGeneration = g;
      }
      case UNAUTHORIZED_USE -> {
        if (body.containsKey("window")) {
          if (!(body.getValue("window") instanceof JsonObject w)) {
            throw Problem.INVALID_REQUEST.with("window must be {\"from\": instant, \"to\": instant}");
          }
          from = instant(w, "from", from);
          to = instant(w, "to", to);
          if (!from.isBefore(to)) {
            throw Problem.INVALID_REQUEST.with("window.from must be before window.to");
          }
        }
      }
      default -> {
      }
    }
    if (type != IncidentType.ALGORITHM_WEAKNESS && body.containsKey("policy")) {
      throw Problem.INVALID_REQUEST.with("policy is for algorithm-weakness only; change the policy with PUT /v1/crypto-policy");
    }
    if (type != IncidentType.HSM_VULNERABILITY && body.containsKey("hsmGeneration")) {
      throw Problem.INVALID_REQUEST.with("hsmGeneration is for hsm-vulnerability only");
    }
    if (type != IncidentType.UNAUTHORIZED_USE && body.containsKey("window")) {
      throw Problem.INVALID_REQUEST.with("window is for unauthorized-use only");
    }
    boolean byokServiceKey = false;
    if (body.containsKey("byok")) {
      Object choice = body.getValue("byok");
      if (!type.rekeys() || !("await-customer".equals(choice) || "service-key".equals(choice))) {
        throw Problem.INVALID_REQUEST.with("byok is for incidents that re-key: \"await-customer\" (the default: a tenant "
            + "whose key is its own is asked for a new transfer) or \"service-key\" (such tenants get a key the service "
            + "generates, and are told so)");
      }
      byokServiceKey = "service-key".equals(choice);
    }
    return new Declaration(type, all, List.copyOf(tenants), summary, policy, target, hsmGeneration, from, to, byokServiceKey);
  }

  private static OffsetDateTime instant(JsonObject w, String name, OffsetDateTime otherwise) {
    Object v = w.getValue(name);
    if (v == null) {
      return otherwise;
    }
    try {
      return OffsetDateTime.ofInstant(Instant.parse((String) v), ZoneOffset.UTC);
    } catch (ClassCastException | DateTimeParseException e) {
      throw Problem.INVALID_REQUEST.with("window." + name + " must be an ISO-8601 instant, e.g. 2026-11-25T10:00:00Z");
    }
  }
}
