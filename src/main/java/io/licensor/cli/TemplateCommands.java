package io.licensor.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Locale;

/** {@code licensor template create|update|list|show|archive|activate}: a tenant's rights templates. */
@Command(name = "template", mixinStandardHelpOptions = true,
    description = "A tenant's rights policy templates: content published with one is licensed by what the template says "
        + "when the license is asked for (tenant admins change them; users list the ones they may publish with).",
    subcommands = {TemplateCommands.Create.class, TemplateCommands.Update.class, TemplateCommands.ListTemplates.class,
        TemplateCommands.Show.class, TemplateCommands.Archive.class, TemplateCommands.Activate.class})
public final class TemplateCommands extends CommandGroup {

  static String path(String tenant) {
    return TenantCommands.tenantPath(tenant) + "/templates";
  }

  /** The members a create or an update names, from its options (only those given). */
  abstract static class Definition extends CliCommand {
    @Mixin
    ServerOptions server;

    @Option(names = "--name", paramLabel = "NAME", description = "its name, unique in the tenant")
    String name;

    @Option(names = "--description", paramLabel = "TEXT", description = "what it is for, shown to the users who publish with it")
    String description;

    @Option(names = "--grant", paramLabel = "PRINCIPAL:RIGHTS",
        description = "rights the template gives, e.g. group:legal:VIEW,PRINT (repeat; replaces the template's grants)")
    List<String> grants;

    @Option(names = "--recipient-rights", paramLabel = "RIGHTS", split = ",",
        description = "the most a publisher's own grants give under it, e.g. VIEW,EDIT")
    List<String> recipientRights;

    @Option(names = "--validity-days", paramLabel = "DAYS", description = "content expires this many days after it is published")
    Long validityDays;

    @Option(names = "--offline-access", paramLabel = "SECONDS",
        description = "how long a use license may be used without asking again (0: always online)")
    Long offlineAccess;

    @Option(names = "--publisher", paramLabel = "PRINCIPAL", description = "who may publish with it (repeat; default: anyone of the tenant)")
    List<String> publishers;

    JsonObject members() {
      JsonObject body = new JsonObject();
      if (name != null) {
        body.put("name", name);
      }
      if (description != null) {
        body.put("description", description);
      }
      if (grants != null) {
        JsonArray list = new JsonArray();
        grants.forEach(g -> list.add(ClientCommands.Protect.grantJson(g)));
        body.put("grants", list);
      }
      if (recipientRights != null) {
        body.put("recipientRights", new JsonArray(recipientRights.stream().map(r -> (Object) r.trim().toUpperCase(Locale.ROOT)).toList()));
      }
      if (validityDays != null) {
        body.put("validity", new JsonObject().put("days", validityDays));
      }
      if (offlineAccess != null) {
        body.put("offlineAccessSeconds", offlineAccess);
      }
      if (publishers != null) {
        body.put("publishers", new JsonArray(List.copyOf(publishers)));
      }
      return body;
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Make a template (tenant admin or operator).")
  static final class Create extends Definition {
    @Parameters(index = "0", paramLabel = "TENANT")
    String tenant;

    @Override
    protected int execute() {
      JsonObject t = server.api().post(path(tenant), members());
      result(t, "template " + t.getString("id") + " (" + t.getString("name") + ") of " + tenant + " created"
          + TenantCommands.describePropagation(t));
      return 0;
    }
  }

  @Command(name = "update", mixinStandardHelpOptions = true,
      description = "Change what the options name; the rest stays. Made to the template as read just before (If-Match).")
  static final class Update extends Definition {
    @Parameters(index = "0", paramLabel = "TENANT")
    String tenant;

    @Parameters(index = "1", paramLabel = "TEMPLATE_ID")
    String id;

    @Override
    protected int execute() {
      JsonObject change = members();
      if (change.isEmpty()) {
        throw new CliException(CliException.USAGE, "name something to change (--name, --description, --grant, ...)");
      }
      ApiClient api = server.api();
      String one = path(tenant) + "/" + ApiClient.segment(id);
      String etag = api.sendChecked("GET", one, null, java.util.Map.of()).etag();
      JsonObject t = api.patchIfMatch(one, change, etag, "template " + id + " changed while this change was being made; "
          + "nothing was changed: read it again (licensor template show) and retry").body();
      result(t, "template " + id + " (" + t.getString("name") + ") of " + tenant + " changed"
          + TenantCommands.describePropagation(t));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "The tenant's templates: all for its admins, the active ones you may publish with for a user.")
  static final class ListTemplates extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "TENANT")
    String tenant;

    @Override
    protected int execute() {
      JsonObject list = server.api().get(path(tenant));
      if (json()) {
        printJson(list);
        return 0;
      }
      for (Object o : list.getJsonArray("templates")) {
        JsonObject t = (JsonObject) o;
        out().println(t.getString("id") + "  " + t.getString("state") + (t.getBoolean("builtIn", false) ? " (built in)" : "")
            + "  " + t.getString("name") + "  rights " + t.getJsonArray("recipientCeiling").encode()
            + (t.containsKey("offlineAccessSeconds") ? "  offline " + t.getLong("offlineAccessSeconds") + " s" : ""));
      }
      return 0;
    }
  }

  abstract static class OneTemplate extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "TENANT")
    String tenant;

    @Parameters(index = "1", paramLabel = "TEMPLATE_ID")
    String id;

    String one() {
      return path(tenant) + "/" + ApiClient.segment(id);
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One template, as JSON.")
  static final class Show extends OneTemplate {
    @Override
    protected int execute() {
      printJson(server.api().get(one()));
      return 0;
    }
  }

  @Command(name = "archive", mixinStandardHelpOptions = true,
      description = "Archive a template: no new content is published with it; its content stays licensable.")
  static final class Archive extends OneTemplate {
    @Override
    protected int execute() {
      JsonObject t = server.api().post(one() + "/archive", new JsonObject());
      result(t, "template " + id + " of " + tenant + " archived" + TenantCommands.describePropagation(t));
      return 0;
    }
  }

  @Command(name = "activate", mixinStandardHelpOptions = true, description = "Make an archived template active again.")
  static final class Activate extends OneTemplate {
    @Override
    protected int execute() {
      JsonObject t = server.api().post(one() + "/activate", new JsonObject());
      result(t, "template " + id + " of " + tenant + " active" + TenantCommands.describePropagation(t));
      return 0;
    }
  }
}
