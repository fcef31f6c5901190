package io.licensor.incidents;

import io.licensor.lifecycle.KeyLifecycle;
import io.licensor.tenants.TenantStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The e-mails a tenant's administrator gets: one when an incident that affects the tenant is
 * declared, and, for incidents that re-key, one saying what happened to this tenant (re-keyed, to
 * which version; skipped and why; failed; or waiting for the customer's own new key). Written for
 * their reader: the tenant's own id in every path, only endpoints a tenant admin may call, and
 * nothing said to be attached that is not in the message.
 */
final class Notifications {

  /** The most key-use lines an unauthorized-use e-mail lists (the audit has them all). */
  static final int MAX_USAGE_LINES = 50;

  private Notifications() {
  }

  static String subject(Incident incident, String tenantId) {
    return "[licensor] Security incident " + incident.id() + " (" + incident.type().wireName() + ") affects tenant "
        + tenantId;
  }

  /** The declaration's e-mail to one tenant's admin; {@code usageReport}: unauthorized-use's, else null. */
  static String body(Incident incident, TenantStore.AdminContact tenant, JsonObject usageReport) {
    String tid = tenant.id();
    StringBuilder b = new StringBuilder();
    b.append("To the administrator of tenant ").append(tid).append(",\n\n")
        .append("The licensor service has declared a security incident that affects your tenant.\n\n")
        .append("Incident: ").append(incident.id()).append('\n')
        .append("Type: ").append(incident.type().wireName()).append('\n')
        .append("Declared: ").append(incident.declaredAt()).append('\n')
        .append("Summary: ").append(incident.summary()).append("\n\n")
        .append("What the service does:\n  ").append(incident.type().playbook()).append("\n\n");
    if (tenant.cancelled()) {
      b.append("Your tenant's subscription is cancelled: nothing is done to its keys, and they are used for nothing.\n\n");
    } else {
      b.append("What you must do:\n").append(whatToDo(incident, tenant)).append('\n');
    }
    if (incident.type() == IncidentType.UNAUTHORIZED_USE) {
      b.append(usage(tid, usageReport)).append('\n');
    }
    b.append("Content you protected before the incident keeps opening: old key versions are retained for licensing.\n")
        .append("Questions: reply to this message quoting the incident id.\n");
    return b.toString();
  }

  private static String whatToDo(Incident incident, TenantStore.AdminContact tenant) {
    String tid = tenant.id();
    StringBuilder b = new StringBuilder();
    switch (incident.type()) {
      case KEY_COMPROMISED -> {
        if (!tenant.byok()) {
          b.append("  - Nothing to start: your tenant key is being re-keyed now; a second e-mail will name your new key\n")
              .append("    version. New content is protected with it.\n");
        }
        b.append("  - Refresh any copy of your tenant's public key your clients keep (GET /v1/tenants/").append(tid)
            .append("/keys/current).\n");
      }
      case UNAUTHORIZED_USE -> b
          .append("  - Review your tenant's key use below, and its full audit (GET /v1/tenants/").append(tid).append("/audit),\n")
          .append("    for licenses you do not expect.\n")
          .append("  - Revoke the credentials of the users or applications involved at your identity provider.\n")
          .append("  - No re-key is needed: your key was used, not disclosed.\n");
      case HSM_VULNERABILITY -> b
          .append("  - Nothing to start now: your tenant key will be re-keyed once the service's HSMs are updated; a second\n")
          .append("    e-mail will say when, and name your new key version.\n");
      case ALGORITHM_WEAKNESS -> {
        JsonArray allowed = incident.policy() == null ? null : incident.policy().getJsonArray("effective");
        b.append("  - The crypto policy now allows: ").append(allowed == null ? "(see your tenant)" : String.join(", ",
                allowed.getList())).append(".\n")
            .append("    If your active key does not meet it, it is being re-keyed to one that does; a second e-mail will\n")
            .append("    say what happened to your tenant. GET /v1/tenants/").append(tid)
            .append(" shows it (cryptoPolicy.activeMeetsPolicy).\n")
            .append("  - Clients that pin an algorithm must accept the new one; refresh cached public keys.\n");
      }
    }
    if (tenant.byok() && incident.type().rekeys()) {
      b.append(incident.byokServiceKey() ? byokReplaced(tid) : byokRequest(tid));
    }
    return b.toString();
  }

  private static String byokRequest(String tid) {
    return "  - Your tenant's key is one you brought (BYOK). The service does not replace it with a key of its own:\n"
        + "    make a new key in your HSM and transfer it to licensor:\n"
        + "      KEK=$(licensor byok kek " + tid + " --out kek.pem)\n"
        + "      licensor byok wrap --key NEW-KEY.pem --kek kek.pem --kek-kid \"$KEK\" --out new.byok\n"
        + "      licensor tenant rekey " + tid + " --byok new.byok --algorithm ALGORITHM\n"
        + "    Until you do, this incident lists your tenant as waiting for your key, and your current key stays in use.\n"
        + "    You will get an e-mail when your new key is in place.\n";
  }

  private static String byokReplaced(String tid) {
    return "  - Your tenant's key is one you brought (BYOK). For this incident the operator chose to re-key such tenants\n"
        + "    with a key the service generates: your new version will be the service's key, not one you brought.\n"
        + "    To go back to a key of your own, transfer a new one (licensor tenant rekey " + tid + " --byok FILE).\n";
  }

  /** The tenant's lines of the unauthorized-use report, in the message itself. */
  private static String usage(String tid, JsonObject report) {
    StringBuilder b = new StringBuilder();
    JsonObject window = report == null ? null : report.getJsonObject("window");
    String from = window == null ? "?" : window.getString("from");
    String to = window == null ? "?" : window.getString("to");
    b.append("Your tenant's key use from ").append(from).append(" to ").append(to).append(", from its audit:\n");
    JsonObject mine = report == null ? null : report.getJsonObject("tenants", new JsonObject()).getJsonObject(tid);
    JsonArray lines = mine == null ? new JsonArray() : mine.getJsonArray("usage", new JsonArray());
    if (lines.isEmpty()) {
      b.append("  (no key use recorded in the window)\n");
    }
    for (int i = 0; i < lines.size() && i < MAX_USAGE_LINES; i++) {
      JsonObject u = lines.getJsonObject(i);
      b.append("  ").append(u.getValue("count")).append(" x ").append(u.getString("action")).append(' ')
          .append(u.getString("outcome")).append(" by ").append(u.getString("principal"))
          .append(u.getString("kid") == null ? "" : " with " + u.getString("kid"))
          .append(" (").append(u.getString("first")).append(" to ").append(u.getString("last")).append(")\n");
    }
    if (lines.size() > MAX_USAGE_LINES) {
      b.append("  ... and ").append(lines.size() - MAX_USAGE_LINES).append(" more lines in the audit\n");
    }
    b.append("Every record, hash-chained: GET /v1/tenants/").append(tid).append("/audit?from=").append(from)
        .append("&to=").append(to).append('\n');
    return b.toString();
  }

  /** The e-mail saying what a re-key campaign did to this tenant. */
  static IncidentStore.Mail outcome(Incident incident, String tid, String state, String reason,
                                    KeyLifecycle.CampaignStep step, int attempts) {
    String head = "[licensor] Incident " + incident.id() + " (" + incident.type().wireName() + "): tenant " + tid + " ";
    StringBuilder b = new StringBuilder().append("To the administrator of tenant ").append(tid).append(",\n\n");
    String subject;
    switch (state) {
      case "done" -> {
        boolean already = step != null && step.outcome() == KeyLifecycle.CampaignOutcome.ALREADY_REKEYED;
        subject = head + (already ? "has a new key " : "re-keyed to ") + step.kid();
        if (already) {
          b.append("Your tenant has a key version made since incident ").append(incident.id()).append(" began: ")
              .append(step.kid()).append(" (").append(step.algorithm()).append("). Nothing more is needed.\n");
        } else {
          b.append("For incident ").append(incident.id()).append(", your tenant was re-keyed: its current key is now ")
              .append(step.kid()).append(" (").append(step.algorithm()).append(", generated in the service's HSM).\n");
          if (step.replacedCustomerKey()) {
            b.append("It replaces the key you brought (BYOK), as the operator chose for this incident. To go back to a key\n")
                .append("of your own, transfer a new one (licensor tenant rekey ").append(tid).append(" --byok FILE).\n");
          }
        }
        b.append("New content is protected with it; content protected under earlier versions keeps opening.\n")
            .append("Refresh any cached copy of your public key (GET /v1/tenants/").append(tid).append("/keys/current).\n");
      }
      case "skipped" -> {
        subject = head + "not re-keyed";
        b.append("For incident ").append(incident.id()).append(", your tenant was not re-keyed: ").append(reason)
            .append(".\nNothing changed; your current key stays in use.\n");
      }
      case "awaiting-customer" -> {
        subject = head + "is waiting for your new key";
        b.append("Incident ").append(incident.id()).append(" re-keys the tenants in its scope.\n")
            .append(byokRequest(tid).replace("  - ", "").replace("\n    ", "\n"));
      }
      default -> {
        subject = head + "could not be re-keyed";
        b.append("For incident ").append(incident.id()).append(", re-keying your tenant failed after ").append(attempts)
            .append(" attempt(s): ").append(reason).append(".\nThe service's operators have been told; your current key ")
            .append("stays in use until they re-key it.\n");
      }
    }
    b.append("\nQuestions: reply to this message quoting the incident id.\n");
    return new IncidentStore.Mail(subject, b.toString());
  }
}
