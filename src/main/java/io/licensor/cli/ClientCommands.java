package io.licensor.cli;

import io.licensor.client.LicensorClient;
import io.licensor.client.LicensorException;
import io.licensor.client.Policy;
import io.licensor.client.ProblemException;
import io.licensor.client.ProtectedContainer;
import io.licensor.client.Right;
import io.licensor.client.UseLicense;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The RMS client in miniature, on the client library (io.licensor.client): {@code licensor protect} and {@code licensor open}. */
public final class ClientCommands {

  /** The largest file protect and open handle. */
  static final long MAX_CONTENT_BYTES = ProtectedContainer.MAX_CONTENT_BYTES;

  private ClientCommands() {
  }

  @Command(name = "protect", mixinStandardHelpOptions = true,
      description = "Protect a file for a tenant: encrypt it with AES-256-GCM under a fresh content key, and embed the "
          + "publishing license (the content key wrapped under the tenant's current key version, with the policy) "
          + "that the server makes for the caller (a user of the tenant).")
  public static final class Protect extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "FILE", description = "the file to protect")
    Path file;

    @Option(names = "--tenant", required = true, paramLabel = "TENANT", description = "the tenant whose key protects the file")
    String tenant;

    @Option(names = "--grant", paramLabel = "PRINCIPAL:RIGHTS",
        description = "who may do what, e.g. bob@contoso.com:VIEW,PRINT, *@contoso.com:VIEW, group:legal:OWNER, *:VIEW "
            + "(repeat; rights: VIEW, EDIT, PRINT, EXPORT, FORWARD, OWNER); with --template, within its recipient rights")
    List<String> grants;

    @Option(names = "--template", paramLabel = "TEMPLATE_ID",
        description = "a rights template of the tenant (licensor template list), e.g. do-not-forward")
    String template;

    @Option(names = "--offline-access", paramLabel = "SECONDS",
        description = "how long a use license may be used without asking again (0: always online; bounded by the tenant)")
    Long offlineAccess;

    @Option(names = "--not-after", paramLabel = "INSTANT", description = "no license after this ISO-8601 instant")
    Instant notAfter;

    @Option(names = "--license-ttl", paramLabel = "SECONDS", description = "lifetime of each use license (default: the server's)")
    Long licenseTtl;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "the protected file (default: FILE.lprot)")
    Path outFile;

    @Option(names = "--offline", description = "publish offline: wrap the content key here under the tenant's current "
        + "public key (cached for its max-age) instead of asking the server to make the publishing license")
    boolean offline;

    @Override
    protected int execute() throws IOException {
      if (template == null && (grants == null || grants.isEmpty())) {
        throw new CliException(CliException.USAGE, "name who may open it: --grant PRINCIPAL:RIGHTS, or --template TEMPLATE_ID");
      }
      Policy.Builder policy = Policy.builder();
      for (String g : grants == null ? List.<String>of() : grants) {
        policy.grant(grant(g));
      }
      if (template != null) {
        policy.template(template);
      }
      if (notAfter != null) {
        policy.notAfter(notAfter);
      }
      try {
        if (offlineAccess != null) {
          policy.offlineAccessSeconds(offlineAccess);
        }
        if (licenseTtl != null) {
          policy.licenseTtlSeconds(licenseTtl);
        }
      } catch (IllegalArgumentException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      }
      Policy built;
      try {
        built = policy.build();
      } catch (IllegalArgumentException e) {
        throw new CliException(CliException.USAGE, e.getMessage());
      }
      checkSize(file);
      Path target = outFile != null ? outFile : file.resolveSibling(file.getFileName() + ".lprot");
      LicensorClient.Protected made = ClientCommands.call("cannot protect " + file, () -> server.client().protectFile(file, target, tenant, built,
          offline ? LicensorClient.Publishing.OFFLINE : LicensorClient.Publishing.ONLINE));
      result(new JsonObject().put("file", file.toString()).put("protected", target.toString()).put("tenant", tenant)
              .put("kid", made.kid()).put("contentId", made.contentId()).put("publishing", offline ? "offline" : "online"),
          "protected " + file + " -> " + target + " (tenant " + tenant + ", key " + made.kid() + ", content " + made.contentId() + ")");
      return 0;
    }

    /** {@code PRINCIPAL:RIGHTS}; the principal may itself hold ':' (group:NAME), so the last ':' splits. */
    static Policy.Grant grant(String text) {
      try {
        return Policy.Grant.parse(text);
      } catch (IllegalArgumentException e) {
        throw new CliException(CliException.USAGE, "--grant " + (e.getMessage().startsWith(text) ? "" : text + ": ")
            + e.getMessage());
      }
    }

    /** The grant as the API's JSON (templates' grants). */
    static JsonObject grantJson(String text) {
      Policy.Grant g = grant(text);
      JsonArray rights = new JsonArray();
      for (Right r : Right.values()) {
        if (g.rights().contains(r)) {
          rights.add(r.name());
        }
      }
      return new JsonObject().put("principal", g.principal()).put("rights", rights);
    }
  }
  @Command(name = "open", mixinStandardHelpOptions = true,
      description = "Open a protected file as the caller: acquire a use license for a fresh key of this client, verify "
          + "it against the tenant's published keys, decrypt, and do only what its rights allow: writing the content "
          + "to standard output needs VIEW, saving a decrypted copy (--out) needs EXPORT.")
  public static final class Open extends CliCommand {
    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "FILE", description = "a file made by licensor protect")
    Path file;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
        description = "save a decrypted copy here (needs the EXPORT right; written 0600)")
    Path outFile;

    @Option(names = "--force", description = "replace --out if it exists")
    boolean force;

    @Override
    protected int execute() throws IOException {
      if (outFile != null) {
        SecretFiles.refuseExisting(outFile, force, "--out");
      }
      if (!Files.exists(file)) {
        throw new CliException(CliException.USAGE, "no such file: " + file);
      }
      if (Files.size(file) > MAX_CONTENT_BYTES + ProtectedContainer.MAX_HEADER + 64) {
        throw new CliException(CliException.USAGE, file + " is larger than any file licensor protect makes");
      }
      Right needed = outFile != null ? Right.EXPORT : Right.VIEW;
      LicensorClient.Opened opened = ClientCommands.call("cannot open " + file, () -> {
        try (InputStream in = Files.newInputStream(file)) {
          return server.client().open(in, needed);
        }
      });
      UseLicense license = opened.license();
      byte[] content = opened.content();
      JsonObject result = new JsonObject().put("file", file.toString()).put("subject", license.subject())
          .put("rights", new JsonArray(Arrays.asList(rights(license).split(", ")))).put("kid", license.kid())
          .put("expiresAt", license.expiresAt().toString());
      try {
        if (outFile != null) {
          SecretFiles.write(outFile, content, force, "--out");
          result.put("savedTo", outFile.toString());
        } else if (json()) {
          // the content in the result, as the text output writes it: to standard output (VIEW)
          result.put("contentBase64", java.util.Base64.getEncoder().encodeToString(content));
        } else {
          OutputStream contentOut = Env.contentOut();
          contentOut.write(content);
          contentOut.flush();
        }
      } finally {
        Arrays.fill(content, (byte) 0);
      }
      if (json()) {
        printJson(result);
        return 0;
      }
      progress("opened " + file + " as " + license.subject() + " (rights " + rights(license) + "; license "
          + license.kid() + ", valid until " + license.expiresAt() + ")" + (outFile != null ? "; saved to " + outFile : ""));
      return 0;
    }
  }

  /** The license's rights in the spec's order. */
  static String rights(UseLicense license) {
    List<String> names = new ArrayList<>();
    for (Right r : Right.values()) {
      if (license.rights().contains(r)) {
        names.add(r.name());
      }
    }
    return String.join(", ", names);
  }

  interface Call<T> {
    T run() throws IOException;
  }

  /** A client-library call, its failures said as the command line says them ({@code what}: what could not be done). */
  static <T> T call(String what, Call<T> call) throws IOException {
    try {
      return call.run();
    } catch (ProblemException e) {
      CliException refusal = ApiClient.refusal(e);
      throw new CliException(refusal.exitCode(), what + ": " + refusal.getMessage(), e.slug());
    } catch (LicensorException.UnreachableException e) {
      throw new CliException(CliException.UNREACHABLE, e.getMessage() + " (is it running? set --server or LICENSOR_URL)");
    } catch (LicensorException.ContentException e) {
      throw new CliException(e.tampered() ? CliException.REFUSED : CliException.USAGE, e.getMessage());
    } catch (LicensorException.RightNotGrantedException e) {
      throw new CliException(CliException.REFUSED, what + ": the license grants " + e.license().subject() + " "
          + rights(e.license()) + ", not " + e.needed()
          + (e.needed() == Right.EXPORT ? " (saving a decrypted copy needs EXPORT)" : " (reading the content needs VIEW)"));
    } catch (LicensorException e) {
      throw new CliException(CliException.REFUSED, what + ": " + e.getMessage());
    } catch (java.nio.file.NoSuchFileException e) {
      throw new CliException(CliException.USAGE, "no such file: " + e.getFile());
    }
  }

  static void checkSize(Path file) throws IOException {
    try {
      if (Files.size(file) > MAX_CONTENT_BYTES) {
        throw new CliException(CliException.USAGE, file + " is larger than " + (MAX_CONTENT_BYTES >> 20) + " MiB");
      }
    } catch (NoSuchFileException e) {
      throw new CliException(CliException.USAGE, "no such file: " + file);
    }
  }
}
