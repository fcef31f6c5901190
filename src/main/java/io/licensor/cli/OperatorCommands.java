package io.licensor.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Backup, restore, incidents, the crypto policy, the cluster and the audit, over the HTTP API. */
public final class OperatorCommands {

  private OperatorCommands() {
  }

  @Command(name = "backup", mixinStandardHelpOptions = true,
      description = "Download a tenant's backup package (its key tokens, sealed to this security world). Keep it with "
          + "the world file and a quorum of admin cards: all three are needed to recover.")
  public static final class Backup extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "TENANT")
    String tenant;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "where the package goes (written 0600)")
    Path outFile;

    @Option(names = "--force", description = "replace --out if it exists")
    boolean force;

    @Override
    protected int execute() throws IOException {
      SecretFiles.refuseExisting(outFile, force, "--out");
      JsonObject pkg = server.api().get(TenantCommands.tenantPath(tenant) + "/backup");
      SecretFiles.write(outFile, pkg.encode(), force, "--out");
      int versions = pkg.getJsonArray("keys", new JsonArray()).size();
      result(new JsonObject().put("tenant", tenant).put("file", outFile.toString()).put("versions", versions)
              .put("worldId", pkg.getString("worldId")),
          "backup of " + tenant + " (" + versions + " key versions, world " + pkg.getString("worldId") + ") written to " + outFile);
      return 0;
    }
  }

  @Command(name = "restore", mixinStandardHelpOptions = true,
      description = "Restore a backup package into this cluster (operator). Its security world must be loaded on the "
          + "nodes (licensor world load).")
  public static final class Restore extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "FILE", description = "a backup package (licensor backup)")
    Path file;

    @Option(names = "--replace", description = "merge the package into the tenant if it exists here (default: refuse); "
        + "no key version is deleted, a destroyed one stays destroyed")
    boolean replace;

    @Option(names = "--force", description = "with --replace: apply a package older than the tenant's last lifecycle "
        + "change here (it may make an old version active again, or a cancelled tenant active); each change is audited")
    boolean force;

    @Override
    protected int execute() {
      JsonObject pkg = readJson(file, "package");
      progress("restoring " + file + " (" + pkg.getJsonArray("keys", new JsonArray()).size() + " key versions)...");
      JsonObject result;
      try {
        result = server.api().post("v1/tenants/restore" + (replace ? "?replace=true" + (force ? "&force=true" : "") : ""), pkg);
      } catch (CliException e) {
        // the server names its query parameters; here they are options
        if ("tenant-exists".equals(e.slug()) || "backup-outdated".equals(e.slug())) {
          throw new CliException(e.exitCode(), e.getMessage().replace("?replace=true", "--replace")
              .replace("add force=true", "add --force").replace("force=true", "--force"), e.slug());
        }
        throw e;
      }
      result(result, (result.getBoolean("replaced", false) ? "replaced" : "restored") + " tenant " + result.getString("tenant")
          + " with " + result.getValue("versions") + " key versions" + TenantCommands.describePropagation(result));
      return 0;
    }
  }

  @Command(name = "incident", mixinStandardHelpOptions = true, description = "Breach response: declare incidents and follow their playbooks.",
      subcommands = {IncidentDeclare.class, IncidentShow.class, IncidentList.class, IncidentHsmUpdated.class})
  public static final class Incident extends CommandGroup {
  }

  static final class Scope {
    @Option(names = "--tenant", paramLabel = "TENANT", description = "a tenant in scope (repeat)")
    List<String> tenants;

    @Option(names = "--all", description = "every tenant")
    boolean all;

    JsonObject toJson() {
      return all ? new JsonObject().put("all", true) : new JsonObject().put("tenants", new JsonArray(List.copyOf(tenants)));
    }
  }

  @Command(name = "declare", mixinStandardHelpOptions = true,
      description = "Declare an incident; the server runs its playbook (key-compromised: re-key the tenants in scope; "
          + "unauthorized-use: the key-usage report, no re-key; hsm-vulnerability: re-key once the HSM update is "
          + "recorded; algorithm-weakness: raise the crypto policy and re-key) and e-mails each tenant's admin.")
  static final class IncidentDeclare extends CliCommand {
    @Mixin
    ServerOptions server;

    @Option(names = "--type", required = true, paramLabel = "TYPE",
        description = "key-compromised, unauthorized-use, hsm-vulnerability or algorithm-weakness")
    String type;

    @ArgGroup(multiplicity = "1")
    Scope scope;

    @Option(names = "--summary", required = true, paramLabel = "TEXT", description = "what happened (sent to tenant admins)")
    String summary;

    @Option(names = "--hsm-generation", paramLabel = "TEXT", description = "hsm-vulnerability: the affected HSM model or firmware")
    String hsmGeneration;

    @Option(names = "--allow", split = ",", paramLabel = "ALG", description = "algorithm-weakness: the new policy's allowed algorithms")
    List<String> allow;

    @Option(names = "--min-rsa-bits", paramLabel = "BITS", description = "algorithm-weakness: the new policy's minimum RSA size")
    Integer minRsaBits;

    @Option(names = "--target-algorithm", paramLabel = "ALG", description = "algorithm-weakness: the algorithm tenants re-key to")
    String targetAlgorithm;

    @Option(names = "--byok", paramLabel = "CHOICE",
        description = "incidents that re-key, for tenants whose key is their own (BYOK): await-customer (the default: each "
            + "customer is asked for a new key transfer, and the campaign shows them waiting) or service-key (they are "
            + "re-keyed with a key the service generates, and told so)")
    String byok;

    @Option(names = "--wait", description = "follow the campaign until it ends and its notices are delivered, showing "
        + "progress; exits 1 saying how many notices are not, --notice-wait seconds after the campaign ended")
    boolean await;

    @Option(names = "--notice-wait", paramLabel = "SECONDS", defaultValue = "60",
        description = "with --wait: how long to wait for the notices once the campaign has ended (default: ${DEFAULT-VALUE})")
    int noticeWaitSeconds;

    @Option(names = "--id-only", description = "print only the new incident's id (for scripts)")
    boolean idOnly;

    @Override
    protected int execute() {
      JsonObject body = new JsonObject().put("type", type).put("scope", scope.toJson()).put("summary", summary);
      if (hsmGeneration != null) {
        body.put("hsmGeneration", hsmGeneration);
      }
      if (allow != null || minRsaBits != null) {
        JsonObject policy = new JsonObject().put("allowedAlgorithms", new JsonArray(allow == null ? List.of() : allow));
        if (minRsaBits != null) {
          policy.put("minRsaBits", minRsaBits);
        }
        body.put("policy", policy);
      }
      if (targetAlgorithm != null) {
        body.put("targetAlgorithm", targetAlgorithm);
      }
      if (byok != null) {
        body.put("byok", byok);
      }
      ApiClient api = server.api();
      JsonObject incident = api.post("v1/incidents", body);
      if (json()) {
        if (!await) {
          printJson(incident);
        }
      } else if (idOnly) {
        out().println(incident.getString("id"));
      } else {
        out().println("declared incident " + incident.getString("id") + " (" + type + "): " + incident.getString("state"));
        out().println("  playbook: " + incident.getValue("plan"));
      }
      return await ? IncidentShow.followThenShow(this, api, incident.getString("id"), noticeWaitSeconds) : 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "An incident's plan, actions and progress, as JSON.")
  static final class IncidentShow extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "ID")
    String id;

    @Option(names = "--wait", description = "follow the campaign until it ends and its notices are delivered, showing "
        + "progress, then print the incident")
    boolean await;

    @Option(names = "--notice-wait", paramLabel = "SECONDS", defaultValue = "60",
        description = "with --wait: how long to wait for the notices once the campaign has ended (default: ${DEFAULT-VALUE})")
    int noticeWaitSeconds;

    @Override
    protected int execute() {
      ApiClient api = server.api();
      int followed = await ? follow(this, api, id, noticeWaitSeconds) : 0;
      printJson(api.get("v1/incidents/" + ApiClient.segment(id)));
      return followed;
    }

    private static final Set<String> ENDED = Set.of("completed", "campaign-completed", "awaiting-hsm-update",
        "awaiting-customer-keys");

    static final long FOLLOW_TIMEOUT_MILLIS = 600_000;

    /** As {@link #follow}; with --output json, the incident as it ended is the result. */
    static int followThenShow(CliCommand command, ApiClient api, String id, int noticeWaitSeconds) {
      int followed = follow(command, api, id, noticeWaitSeconds);
      if (command.json()) {
        command.printJson(api.get("v1/incidents/" + ApiClient.segment(id)));
      }
      return followed;
    }

    /**
     * Polls the incident, printing progress lines, until its campaign has ended and its notices
     * are delivered; exits 1 saying how many are not if they are still pending a minute after
     * the campaign ended (the outbox goes on retrying them).
     */
    static int follow(CliCommand command, ApiClient api, String id, int noticeWaitSeconds) {
      String last = null;
      long endedAt = -1;
      long deadline = System.currentTimeMillis() + FOLLOW_TIMEOUT_MILLIS;
      while (true) {
        JsonObject incident = api.get("v1/incidents/" + ApiClient.segment(id));
        JsonObject c = incident.getJsonObject("campaign");
        JsonObject n = incident.getJsonObject("notifications", new JsonObject());
        String line = "incident " + id + ": " + incident.getString("state")
            + (c == null ? "" : ", re-keyed " + c.getValue("rekeyed") + "/" + c.getValue("total") + " (skipped "
            + c.getValue("skipped") + ", failed " + c.getValue("failed")
            + (c.getLong("awaitingCustomerKey", 0L) > 0 ? ", waiting for the customer's own key " + c.getValue("awaitingCustomerKey") : "")
            + ")")
            + ", notices sent " + n.getValue("sent", 0) + "/" + n.getValue("total", 0);
        if (!line.equals(last)) {
          command.progress(line);
          last = line;
        }
        boolean ended = ENDED.contains(incident.getString("state"));
        int pending = n.getInteger("pending", 0);
        if (ended && endedAt < 0) {
          endedAt = System.currentTimeMillis();
        }
        if (ended && pending == 0) {
          if (n.getInteger("logged", 0) > 0) {
            command.progress(n.getValue("logged") + " notice(s) were written to the node's log, not sent (mail.mode=log)");
          }
          return c != null && c.getInteger("failed", 0) > 0 ? CliException.REFUSED : 0;
        }
        if (ended && System.currentTimeMillis() - endedAt > noticeWaitSeconds * 1000L) {
          throw new CliException(CliException.REFUSED, pending + " of " + n.getValue("total", 0) + " notice(s) of incident "
              + id + " not delivered yet" + (n.getValue("lastError") == null ? "" : " (last error: " + n.getValue("lastError") + ")")
              + "; the outbox keeps retrying: check the mail settings (licensor mail test --to ADDRESS) and follow it "
              + "with licensor incident show " + id + " --wait");
        }
        if (System.currentTimeMillis() > deadline) {
          throw new CliException(CliException.REFUSED, "incident " + id + " still running after "
              + FOLLOW_TIMEOUT_MILLIS / 1000 + " s; follow it with licensor incident show " + id + " --wait");
        }
        sleep(1000);
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The last 100 incidents, as JSON.")
  static final class IncidentList extends CliCommand {
    @Mixin
    ServerOptions server;

    @Override
    protected int execute() {
      printJson(server.api().get("v1/incidents"));
      return 0;
    }
  }

  @Command(name = "hsm-updated", mixinStandardHelpOptions = true,
      description = "Record that the HSMs were updated (hsm-vulnerability): starts the re-key campaign.")
  static final class IncidentHsmUpdated extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "ID")
    String id;

    @Option(names = "--update", required = true, paramLabel = "TEXT", description = "the firmware or model now installed")
    String update;

    @Option(names = "--wait", description = "follow the campaign until it ends, showing progress")
    boolean await;

    @Override
    protected int execute() {
      ApiClient api = server.api();
      JsonObject incident = api.post("v1/incidents/" + ApiClient.segment(id) + "/hsm-updated", new JsonObject().put("hsmUpdate", update));
      if (!await || !json()) {
        result(incident, "incident " + id + ": HSM update recorded; " + incident.getString("state"));
      }
      return await ? IncidentShow.followThenShow(this, api, id, 60) : 0;
    }
  }

  @Command(name = "mail", mixinStandardHelpOptions = true,
      description = "The e-mail incident notices go out by: check it before an incident.", subcommands = {MailTest.class})
  public static final class Mail extends CommandGroup {
  }

  @Command(name = "test", mixinStandardHelpOptions = true,
      description = "Send a test message now through the node's mail settings (operator); exits 0 once the mail server "
          + "accepted it, 1 if it refused it or mail.mode is log.")
  static final class MailTest extends CliCommand {
    @Mixin
    ServerOptions server;

    @Option(names = "--to", required = true, paramLabel = "ADDRESS", description = "where to send the test message")
    String to;

    @Override
    protected int execute() {
      JsonObject answer = server.api().post("v1/mail/test", new JsonObject().put("to", to));
      if (!answer.getBoolean("sent", false)) {
        throw new CliException(CliException.REFUSED,
            "nothing was sent: " + answer.getString("detail", "mail.mode is " + answer.getString("mode")));
      }
      result(answer, "test message to " + to + " accepted by " + answer.getString("host") + ":" + answer.getValue("port")
          + " (STARTTLS " + answer.getString("starttls") + ") in " + answer.getValue("millis") + " ms");
      return 0;
    }
  }

  @Command(name = "policy", mixinStandardHelpOptions = true, description = "The crypto policy new key versions must meet.",
      subcommands = {PolicyShow.class, PolicySet.class})
  public static final class Policy extends CommandGroup {
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "The crypto policy, as JSON.")
  static final class PolicyShow extends CliCommand {
    @Mixin
    ServerOptions server;

    @Override
    protected int execute() {
      printJson(server.api().get("v1/crypto-policy"));
      return 0;
    }
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = "Set the crypto policy (operator). Existing versions keep working; new ones must meet it.")
  static final class PolicySet extends CliCommand {
    @Mixin
    ServerOptions server;

    @Option(names = "--allow", required = true, split = ",", paramLabel = "ALG",
        description = "allowed algorithms: RSA-2048, RSA-3072, RSA-4096, EC-P256, EC-P384")
    List<String> allow;

    @Option(names = "--min-rsa-bits", defaultValue = "2048", paramLabel = "BITS", description = "2048, 3072 or 4096 (default: ${DEFAULT-VALUE})")
    int minRsaBits;

    @Override
    protected int execute() {
      JsonObject policy = server.api().put("v1/crypto-policy",
          new JsonObject().put("allowedAlgorithms", new JsonArray(allow)).put("minRsaBits", minRsaBits));
      result(policy, "crypto policy set: new versions may use " + policy.getValue("effective"));
      return 0;
    }
  }

  @Command(name = "cluster", mixinStandardHelpOptions = true, description = "The cluster's members and their views.",
      subcommands = {ClusterStatus.class})
  public static final class Cluster extends CommandGroup {
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Members, each one's HSM queue and current kid per tenant, and whether a rollover is complete.")
  static final class ClusterStatus extends CliCommand {
    @Mixin
    ServerOptions server;

    @Option(names = "--tenant", split = ",", paramLabel = "TENANT", description = "only these tenants (each member loads them)")
    List<String> tenants;

    @Option(names = "--json", description = "the whole answer as JSON (as --output json)")
    boolean wholeJson;

    @Override
    protected int execute() {
      String query = tenants == null ? "" : "?tenant=" + String.join(",", tenants.stream().map(ApiClient::segment).toList());
      JsonObject cluster = server.api().get("v1/cluster" + query);
      if (wholeJson || json()) {
        out().println((json() ? CliTimes.iso(cluster) : cluster).encodePrettily());
        return 0;
      }
      out().println((cluster.getBoolean("clustered", false) ? "cluster" : "single node") + ": "
          + cluster.getValue("memberCount") + " member(s); this is " + cluster.getString("self"));
      for (Object m : cluster.getJsonArray("members", new JsonArray())) {
        JsonObject member = (JsonObject) m;
        JsonObject hsm = member.getJsonObject("hsm", new JsonObject());
        out().println("  " + member.getString("node") + (member.getBoolean("reachable", false) ? "" : " (unreachable)")
            + "  hsm " + hsm.getString("type", "?") + " queue " + hsm.getValue("queueDepth", "?") + "/" + hsm.getValue("queueCapacity", "?")
            + "  tenants cached " + member.getValue("cachedTenants", "?"));
        JsonObject views = member.getJsonObject("tenants", new JsonObject());
        for (String tid : views.fieldNames()) {
          JsonObject v = views.getJsonObject(tid);
          out().println("      " + tid + ": " + v.getString("state") + ", current " + v.getString("currentKid"));
        }
      }
      JsonObject rollover = cluster.getJsonObject("rollover", new JsonObject());
      for (String tid : rollover.fieldNames()) {
        JsonObject r = rollover.getJsonObject(tid);
        out().println("  rollover " + tid + ": active " + r.getString("activeKid") + ", "
            + (r.getBoolean("complete", false) ? "complete" : "in progress " + r.getJsonObject("publishing", new JsonObject()).encode()));
      }
      return 0;
    }
  }

  @Command(name = "health", mixinStandardHelpOptions = true,
      description = "A node's readiness (database, HSM, security world, cluster), as JSON; exits 0 when ready, 1 when not.")
  public static final class Health extends CliCommand {
    @Mixin
    ServerOptions server;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "0",
        description = "wait up to SECONDS for the node to be ready (a node starting up), showing progress (default: ${DEFAULT-VALUE})")
    int waitSeconds;

    @Option(names = "--pid", paramLabel = "PID",
        description = "with --wait: the process of the node being waited for (e.g. $! after licensor serve &): "
            + "stop waiting, exit 3, as soon as it has exited")
    Long pid;

    @Override
    protected int execute() {
      ApiClient api = server.anonymous();
      long deadline = System.currentTimeMillis() + waitSeconds * 1000L;
      boolean announced = false;
      java.util.Optional<ProcessHandle> node = pid == null ? java.util.Optional.empty() : ProcessHandle.of(pid);
      if (pid != null && node.filter(ProcessHandle::isAlive).isEmpty()) {
        throw new CliException(CliException.UNREACHABLE, "the node's process " + pid + " is not running (it exited: see its log)");
      }
      while (true) {
        if (node.isPresent() && !node.get().isAlive()) {
          throw new CliException(CliException.UNREACHABLE, "the node's process " + pid + " exited before it was ready "
              + "(see its log)");
        }
        ApiClient.Answer ready;
        try {
          // anew each time: a starting node's self-signed certificate appears in its data directory as it starts
          api = server.anonymous();
          ready = api.exchange("GET", "health/ready", null);
        } catch (CliException e) {
          if (e.exitCode() != CliException.UNREACHABLE || System.currentTimeMillis() > deadline) {
            throw e;
          }
          ready = null;
        }
        if (ready != null && ready.status() == 200) {
          printJson(ready.body());
          return 0;
        }
        if (System.currentTimeMillis() > deadline) {
          if (ready != null && ready.body() != null) {
            printJson(ready.body());
          }
          throw new CliException(CliException.REFUSED, api.base() + " is not ready");
        }
        if (!announced) {
          progress("waiting for " + api.base() + " to be ready...");
          announced = true;
        }
        sleep(500);
      }
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true,
      description = {"A tenant's key-usage and lifecycle audit, as JSON, with whether its hash chain is intact.",
          "With --service: the service-wide chain (incidents, HSM updates, the crypto policy; operators)."})
  public static final class Audit extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "TENANT", arity = "0..1", description = "the tenant (or --service)")
    String tenant;

    @Option(names = "--service", description = "the service-wide audit chain instead of a tenant's (operator)")
    boolean service;

    @Option(names = "--from", paramLabel = "INSTANT", description = "ISO-8601 instant")
    String from;

    @Option(names = "--to", paramLabel = "INSTANT", description = "ISO-8601 instant")
    String to;

    @Option(names = "--limit", defaultValue = "100", paramLabel = "N", description = "at most N events (default: ${DEFAULT-VALUE})")
    int limit;

    @Override
    protected int execute() {
      StringBuilder q = new StringBuilder("?limit=").append(limit);
      if (from != null) {
        q.append("&from=").append(ApiClient.segment(from));
      }
      if (to != null) {
        q.append("&to=").append(ApiClient.segment(to));
      }
      if (service == (tenant != null)) {
        throw new CliException(CliException.USAGE, "name a TENANT, or give --service for the service-wide chain");
      }
      JsonObject audit = server.api().get((service ? "v1/audit" : TenantCommands.tenantPath(tenant) + "/audit") + q);
      printJson(audit);
      if (!audit.getBoolean("chainValid", true)) {
        err().println("licensor: the audit chain of " + tenant + " is broken at " + audit.getValue("brokenAt"));
        return CliException.REFUSED;
      }
      return 0;
    }
  }
}
