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

/** {@code licensor tenant ...}: a tenant's lifecycle over the HTTP API (operator or tenant-admin token). */
@Command(name = "tenant", description = "Create, inspect, cancel, reactivate, re-key and destroy tenants' keys (over HTTP).",
    mixinStandardHelpOptions = true,
    subcommands = {TenantCommands.Create.class, TenantCommands.Show.class, TenantCommands.Update.class, TenantCommands.Cancel.class,
        TenantCommands.Reactivate.class, TenantCommands.Rekey.class, TenantCommands.Destroy.class, TenantCommands.Export.class})
public final class TenantCommands extends CommandGroup {

  static String tenantPath(String tenant) {
    return "v1/tenants/" + ApiClient.segment(tenant);
  }

  /** The new key: service-generated (algorithm) or the customer's own (a .byok file). */
  public static final class KeySource {
    @Option(names = "--algorithm", paramLabel = "ALG", defaultValue = "RSA-2048",
        description = "the key's algorithm: RSA-2048, RSA-3072, RSA-4096, EC-P256, EC-P384 (default: ${DEFAULT-VALUE}); "
            + "with --byok, the algorithm of the key inside the file")
    String algorithm;

    @Option(names = "--byok", paramLabel = "FILE",
        description = "bring your own key: a .byok transfer file (licensor byok wrap) made for this tenant's KEK")
    Path byok;

    JsonObject toJson() {
      if (byok == null) {
        return new JsonObject().put("origin", "service").put("algorithm", algorithm);
      }
      return new JsonObject().put("origin", "byok").put("algorithm", algorithm).put("byok", CliCommand.readJson(byok, "--byok"));
    }
  }

  static String describePropagation(JsonObject body) {
    JsonObject p = body.getJsonObject("propagation");
    if (p == null) {
      return "";
    }
    if (p.getBoolean("complete", false)) {
      JsonArray lapsed = p.getJsonArray("lapsed", new JsonArray());
      return " (every node confirmed: " + p.getJsonArray("confirmed", new JsonArray()).size() + "/" + p.getInteger("members", 0)
          + (lapsed.isEmpty() ? "" : "; the lease of " + String.join(", ", lapsed.stream().map(String::valueOf).toList())
              + " lapsed: it serves nothing until it has applied the change") + ")";
    }
    return " (not yet confirmed by " + p.getJsonArray("unconfirmed", new JsonArray()).encode()
        + "; they apply it within " + p.getValue("boundSeconds") + " s)";
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a tenant with its first key version (operator).")
  static final class Create extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "TENANT", description = "tenant id: lower-case letters, digits and '-'")
    String id;

    @Option(names = "--name", paramLabel = "NAME", description = "display name (default: the id)")
    String displayName;

    @Option(names = "--admin-email", required = true, paramLabel = "EMAIL",
        description = "the tenant admin's address (lifecycle and incident notices go there)")
    String adminEmail;

    @Option(names = "--issuer", paramLabel = "ISSUER",
        description = "the issuer (iss) of the tenant users' tokens (default with --dev-identity: urn:licensor:dev)")
    String issuer;

    @Option(names = "--tenant-claim", paramLabel = "NAME=VALUE",
        description = "only tokens whose claim NAME holds VALUE are this tenant's: needed when tenants share an issuer "
            + "(default with --dev-identity: tid=TENANT, which licensor dev-token --tenant puts in its tokens)")
    String tenantClaim;

    @ArgGroup(multiplicity = "1")
    Identity identity;

    static final class Identity {
      @Option(names = "--jwks", paramLabel = "FILE", description = "the issuer's public JWK Set (a JSON file)")
      Path jwks;

      @Option(names = "--jwks-uri", paramLabel = "URL",
          description = "the https URL of the issuer's JWK Set, fetched and refreshed as the issuer rotates its keys")
      String jwksUri;

      @Option(names = "--discovery",
          description = "find the issuer's keys by OpenID Connect discovery ({issuer}/.well-known/openid-configuration)")
      boolean discovery;

      @Option(names = "--dev-identity",
          description = "trust the local dev issuer (dev mode only; tokens from licensor dev-token --tenant ...)")
      boolean dev;
    }

    @Option(names = "--principal-claim", paramLabel = "CLAIM",
        description = "the token claim naming users in grants (default sub; e.g. upn, email, preferred_username)")
    String principalClaim;

    @Mixin
    KeySource key;

    @Override
    protected int execute() throws Exception {
      String iss = issuer;
      JsonObject tenantIdentity = new JsonObject();
      if (identity.dev) {
        iss = iss != null ? iss : "urn:licensor:dev";
        tenantIdentity.put("jwks", DevIdentity.jwks());
      } else if (iss == null) {
        throw new CliException(CliException.USAGE, "--issuer is required with --jwks, --jwks-uri and --discovery");
      } else if (identity.jwks != null) {
        tenantIdentity.put("jwks", readJson(identity.jwks, "--jwks"));
      } else if (identity.jwksUri != null) {
        tenantIdentity.put("jwksUri", identity.jwksUri);
      } else {
        tenantIdentity.put("discovery", true);
      }
      tenantIdentity.put("issuer", iss);
      if (principalClaim != null) {
        tenantIdentity.put("claims", new JsonObject().put("principal", principalClaim));
      }
      String claim = tenantClaim != null ? tenantClaim : identity.dev ? "tid=" + id : null;
      if (claim != null) {
        tenantIdentity.put("tenantClaim", tenantClaim(claim, id));
      }
      JsonObject body = new JsonObject().put("id", id).put("displayName", displayName != null ? displayName : id)
          .put("adminEmail", adminEmail).put("identity", tenantIdentity)
          .put("key", key.toJson());
      JsonObject tenant = server.api().post("v1/tenants", body);
      result(tenant, "created tenant " + tenant.getString("id") + ", current key " + tenant.getString("currentKid"));
      return 0;
    }
  }

  static JsonObject tenantClaim(String claim, String id) {
    int eq = claim.indexOf('=');
    if (eq <= 0 || eq == claim.length() - 1) {
      throw new CliException(CliException.USAGE, "--tenant-claim takes NAME=VALUE, e.g. tid=" + id);
    }
    return new JsonObject().put("name", claim.substring(0, eq)).put("value", claim.substring(eq + 1));
  }

  @Command(name = "update", mixinStandardHelpOptions = true,
      description = {"Change a tenant's display name, admin e-mail or identity (operator, or tenant-admin of the tenant).",
          "Identity options change only what they name: the rest of the identity stays as it is. The change is made "
              + "to the tenant as read just before (If-Match): if someone changed it meanwhile, nothing is changed."})
  static final class Update extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "TENANT")
    String id;

    @Option(names = "--name", paramLabel = "NAME", description = "the new display name")
    String displayName;

    @Option(names = "--admin-email", paramLabel = "EMAIL", description = "the new admin address (lifecycle and incident notices)")
    String adminEmail;

    @Option(names = "--issuer", paramLabel = "ISSUER", description = "the new issuer (iss) of the tenant users' tokens")
    String issuer;

    @Option(names = "--tenant-claim", paramLabel = "NAME=VALUE", description = "the claim and value that bind tokens to the tenant")
    String tenantClaim;

    @Option(names = "--principal-claim", paramLabel = "CLAIM", description = "the token claim naming users in grants")
    String principalClaim;

    @ArgGroup(multiplicity = "0..1")
    Keys keys;

    static final class Keys {
      @Option(names = "--jwks", paramLabel = "FILE", description = "the issuer's public JWK Set (a JSON file), replacing the keys trusted now")
      Path jwks;

      @Option(names = "--jwks-uri", paramLabel = "URL", description = "the https URL of the issuer's JWK Set")
      String jwksUri;

      @Option(names = "--discovery", description = "find the issuer's keys by OpenID Connect discovery")
      boolean discovery;
    }

    @Override
    protected int execute() {
      JsonObject change = new JsonObject();
      if (displayName != null) {
        change.put("displayName", displayName);
      }
      if (adminEmail != null) {
        change.put("adminEmail", adminEmail);
      }
      boolean identityChanges = issuer != null || tenantClaim != null || principalClaim != null || keys != null;
      if (change.isEmpty() && !identityChanges) {
        throw new CliException(CliException.USAGE, "name something to change: --name, --admin-email, --issuer, "
            + "--jwks, --jwks-uri, --discovery, --tenant-claim or --principal-claim");
      }
      ApiClient api = server.api();
      ApiClient.Answer current = api.sendChecked("GET", tenantPath(id), null, java.util.Map.of());
      if (identityChanges) {
        JsonObject identity = current.body().getJsonObject("identity", new JsonObject()).copy();
        if (issuer != null) {
          identity.put("issuer", issuer);
        }
        if (keys != null) {
          identity.remove("jwks");
          identity.remove("jwksUri");
          identity.remove("discovery");
          if (keys.jwks != null) {
            identity.put("jwks", readJson(keys.jwks, "--jwks"));
          } else if (keys.jwksUri != null) {
            identity.put("jwksUri", keys.jwksUri);
          } else {
            identity.put("discovery", true);
          }
        }
        if (tenantClaim != null) {
          identity.put("tenantClaim", tenantClaim(tenantClaim, id));
        }
        if (principalClaim != null) {
          JsonObject claims = identity.getJsonObject("claims", new JsonObject()).copy();
          identity.put("claims", claims.put("principal", principalClaim));
        }
        change.put("identity", identity);
      }
      ApiClient.Answer changed = api.patchIfMatch(tenantPath(id), change, current.etag(), "tenant " + id + " changed while "
          + "this change was being made (someone else changed it, or it was re-keyed): nothing was changed; run the command again");
      result(changed.body().copy().put("etag", changed.etag()),
          "updated tenant " + id + " (now " + changed.etag() + ")" + describePropagation(changed.body()));
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "A tenant's state and key versions (public data only), as JSON.")
  static final class Show extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "TENANT")
    String id;

    @Override
    protected int execute() {
      printJson(server.api().get(tenantPath(id)));
      return 0;
    }
  }

  /** A change of the tenant's state (cancel, reactivate): POST .../{action}, then the new state and its propagation. */
  abstract static class StateChange extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "TENANT")
    String id;

    abstract String action();

    /** The request's body (null: none). */
    JsonObject body() {
      return null;
    }

    @Override
    protected int execute() {
      JsonObject tenant = server.api().post(tenantPath(id) + "/" + action(), body());
      result(tenant, "tenant " + id + " is " + tenant.getString("state") + describePropagation(tenant));
      return 0;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel the subscription: every node stops using the tenant's key at once (revoke). Idempotent.")
  static final class Cancel extends StateChange {
    @Override
    String action() {
      return "cancel";
    }
  }

  @Command(name = "reactivate", mixinStandardHelpOptions = true, description = "Reactivate a cancelled tenant (operator).")
  static final class Reactivate extends StateChange {
    @Option(names = "--algorithm", paramLabel = "ALG",
        description = "a tenant with no usable key version (its last destroyed while cancelled) comes back with a new "
            + "one: its algorithm (RSA-2048, RSA-3072, RSA-4096, EC-P256, EC-P384)")
    String algorithm;

    @Option(names = "--byok", paramLabel = "FILE", description = "with --algorithm: the new key is the customer's own (a .byok file)")
    java.nio.file.Path byok;

    @Override
    String action() {
      return "reactivate";
    }

    @Override
    JsonObject body() {
      if (algorithm == null && byok == null) {
        return null;
      }
      if (algorithm == null) {
        throw new CliException(CliException.USAGE, "--byok needs --algorithm (the algorithm of the key in the file)");
      }
      JsonObject key = new JsonObject().put("origin", byok == null ? "service" : "byok").put("algorithm", algorithm);
      if (byok != null) {
        key.put("byok", readJson(byok, "--byok"));
      }
      return new JsonObject().put("key", key);
    }
  }

  @Command(name = "rekey", mixinStandardHelpOptions = true,
      description = "Re-key: a new active version; the previous one is retained, and content under it keeps licensing.")
  static final class Rekey extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "TENANT")
    String id;

    @Mixin
    KeySource key;

    @Option(names = "--wait", description = "wait until every cluster member publishes with the new version, showing progress")
    boolean await;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
        description = "how long --wait waits (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    protected int execute() {
      ApiClient api = server.api();
      JsonObject version = api.post(tenantPath(id) + "/keys/rekey", key.toJson());
      if (!await) {
        result(version, "tenant " + id + " re-keyed: new current key " + version.getString("kid") + describePropagation(version));
        return 0;
      }
      if (!json()) {
        out().println("tenant " + id + " re-keyed: new current key " + version.getString("kid") + describePropagation(version));
      }
      long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
      String last = null;
      while (true) {
        JsonObject cluster = api.get("v1/cluster?tenant=" + ApiClient.segment(id));
        JsonObject rollover = cluster.getJsonObject("rollover", new JsonObject()).getJsonObject(id, new JsonObject());
        JsonObject publishing = rollover.getJsonObject("publishing", new JsonObject());
        long onNew = publishing.stream().filter(e -> version.getString("kid").equals(e.getValue())).count();
        String line = "rollover " + id + ": " + onNew + "/" + cluster.getInteger("memberCount", publishing.size())
            + " nodes publish with " + version.getString("kid");
        if (!line.equals(last)) {
          progress(line);
          last = line;
        }
        if (rollover.getBoolean("complete", false)) {
          result(version.copy().put("rollover", rollover),
              "rollover complete: every node publishes with " + version.getString("kid"));
          return 0;
        }
        if (System.currentTimeMillis() > deadline) {
          throw new CliException(CliException.REFUSED, "rollover not complete after " + timeoutSeconds
              + " s (licensor cluster status --tenant " + id + " shows which node lags)");
        }
        sleep(1000);
      }
    }
  }

  @Command(name = "destroy", mixinStandardHelpOptions = true,
      description = "Destroy a key version for good (operator; the customer's alternative to exporting a BYOK key). "
          + "Content protected with it can never be opened again.")
  static final class Destroy extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "TENANT")
    String id;

    @Option(names = "--key-version", required = true, paramLabel = "N", description = "the key version to destroy (N of TENANT:N)")
    int version;

    @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "why (kept in the audit)")
    String reason;

    @Option(names = "--yes", description = "confirm: destruction cannot be undone")
    boolean yes;

    @Override
    protected int execute() {
      if (!yes) {
        throw new CliException(CliException.USAGE, "destroying " + id + ":" + version
            + " cannot be undone; run again with --yes to confirm");
      }
      ApiClient.Answer answer = server.api().sendChecked("DELETE", tenantPath(id) + "/keys/" + version,
          new JsonObject().put("reason", reason), java.util.Map.of());
      boolean already = "already-destroyed".equals(answer.header("Licensor-Outcome"));
      JsonObject outcome = new JsonObject().put("tenant", id).put("version", version).put("kid", id + ":" + version)
          .put("outcome", already ? "already-destroyed" : "destroyed")
          .put("propagation", answer.header("Licensor-Propagation"));
      result(outcome, already ? "key version " + id + ":" + version + " was already destroyed: nothing changed"
          : "destroyed key version " + id + ":" + version);
      return 0;
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Export a service-generated key version as password-protected PKCS#8 (tenant-admin). "
          + "BYOK versions are never exportable: ask an operator to destroy them instead.")
  static final class Export extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "TENANT")
    String id;

    @Option(names = "--key-version", required = true, paramLabel = "N", description = "the key version to export (N of TENANT:N)")
    int version;

    @Option(names = "--password-file", required = true, paramLabel = "FILE",
        description = "the export password (12-1024 characters), read from FILE")
    Path passwordFile;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "where the encrypted PEM goes (written 0600)")
    Path outFile;

    @Option(names = "--force", description = "replace --out if it exists")
    boolean force;

    @Override
    protected int execute() throws IOException {
      SecretFiles.refuseExisting(outFile, force, "--out");
      String password = readText(passwordFile, "--password-file").strip();
      JsonObject exported = server.api().post(tenantPath(id) + "/keys/" + version + "/export",
          new JsonObject().put("password", password).put("format", "pkcs8-pem"));
      SecretFiles.write(outFile, exported.getString("privateKeyPem"), force, "--out");
      result(new JsonObject().put("kid", exported.getString("kid")).put("file", outFile.toString())
              .put("format", exported.getString("format")).put("encryption", exported.getString("encryption")),
          "exported " + exported.getString("kid") + " to " + outFile + " (" + exported.getString("encryption") + ")");
      return 0;
    }
  }
}
