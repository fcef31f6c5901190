package io.licensor.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code licensor document revoke|unrevoke|show TENANT CONTENT_ID}: one document's revocation (tenant admin or operator). */
@Command(name = "document", mixinStandardHelpOptions = true,
    description = "A protected document by its content id: revoke it (no node licenses it from then on), un-revoke it, or show which.",
    subcommands = {DocumentCommands.Revoke.class, DocumentCommands.Unrevoke.class, DocumentCommands.Show.class,
        DocumentCommands.Usage.class, DocumentCommands.SuperUserLicenses.class})
public final class DocumentCommands extends CommandGroup {

  abstract static class OneDocument extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "TENANT")
    String tenant;

    @Parameters(index = "1", paramLabel = "CONTENT_ID", description = "the document's content id (licensor protect prints it)")
    String contentId;

    @picocli.CommandLine.Option(names = "--file", paramLabel = "FILE.lprot",
        description = "as the document's publisher (not an admin): the protected file, whose publishing license shows it")
    java.nio.file.Path file;

    /** The body: the protected file's publishing license when --file is given (the publisher's proof), else empty. */
    JsonObject body() {
      if (file == null) {
        return new JsonObject();
      }
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
        io.licensor.client.ProtectedContainer protectedFile;
        try {
          protectedFile = io.licensor.client.ProtectedContainer.read(in);
        } catch (io.licensor.client.LicensorException.ContentException e) {
          throw new CliException(CliException.USAGE, "--file " + file + ": " + e.getMessage());
        }
        if (!protectedFile.contentId().equals(contentId)) {
          throw new CliException(CliException.USAGE, file + " is document " + protectedFile.contentId() + ", not " + contentId);
        }
        return new JsonObject().put("publishingLicense", protectedFile.publishingLicense());
      } catch (java.io.IOException e) {
        throw new CliException(CliException.USAGE, "cannot read --file " + file + ": " + e.getMessage());
      }
    }

    String path() {
      return TenantCommands.tenantPath(tenant) + "/documents/" + ApiClient.segment(contentId) + "/revocation";
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a document: from the return of the command, "
      + "every node refuses its licenses (content-revoked).")
  static final class Revoke extends OneDocument {
    @Override
    protected int execute() {
      JsonObject r = server.api().put(path(), body());
      result(r, "document " + contentId + " of " + tenant + (r.getBoolean("changed", false) ? " revoked" : " was revoked already")
          + TenantCommands.describePropagation(r));
      return 0;
    }
  }

  @Command(name = "unrevoke", mixinStandardHelpOptions = true, description = "Un-revoke a document: it is licensed again as its policy says.")
  static final class Unrevoke extends OneDocument {
    @Override
    protected int execute() {
      JsonObject r = server.api().delete(path(), body());
      result(r, "document " + contentId + " of " + tenant + (r.getBoolean("changed", false) ? " un-revoked" : " was not revoked")
          + TenantCommands.describePropagation(r));
      return 0;
    }
  }

  @Command(name = "usage", mixinStandardHelpOptions = true,
      description = "A document's usage from the audit, as JSON: who published it, who was granted or refused a license and why, when, on which node.")
  static final class Usage extends OneDocument {
    @picocli.CommandLine.Option(names = "--limit", defaultValue = "100", paramLabel = "N", description = "at most N records, newest first (default: ${DEFAULT-VALUE})")
    int limit;

    @Override
    protected int execute() {
      String path = TenantCommands.tenantPath(tenant) + "/documents/" + ApiClient.segment(contentId) + "/usage?limit=" + limit;
      printJson(file == null ? server.api().get(path) : server.api().post(path, body()));
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Whether a document is revoked, as JSON.")
  static final class Show extends OneDocument {
    @Override
    protected int execute() {
      printJson(server.api().get(path()));
      return 0;
    }
  }

  @Command(name = "super-user-licenses", mixinStandardHelpOptions = true,
      description = "The licenses the tenant's super users were given (each audited as super-user), newest first, as JSON "
          + "(tenant admin or operator).")
  static final class SuperUserLicenses extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "TENANT")
    String tenant;

    @Override
    protected int execute() {
      printJson(server.api().get(TenantCommands.tenantPath(tenant) + "/super-user-licenses"));
      return 0;
    }
  }
}
