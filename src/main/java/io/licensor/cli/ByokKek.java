package io.licensor.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code licensor byok kek TENANT}: a fresh key-exchange key to wrap a BYOK key for (tenant-admin, or operator for a new tenant). */
@Command(name = "kek", mixinStandardHelpOptions = true,
    description = "Ask the server's HSM for a fresh key-exchange key (RSA-4096, bound to the tenant id, short-lived): writes "
        + "its public key (PEM) and prints its kid, the two inputs of licensor byok wrap.")
public final class ByokKek extends CliCommand {

  @Mixin
  ServerOptions server;

  @Parameters(paramLabel = "TENANT", description = "the tenant the key is for (it may not exist yet)")
  String tenant;

  @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "where the KEK's public key (PEM) goes")
  Path outFile;

  @Override
  protected int execute() throws IOException {
    JsonObject kek = server.api().post(TenantCommands.tenantPath(tenant) + "/byok/kek", null);
    Files.writeString(outFile, kek.getString("publicKeyPem"), StandardCharsets.UTF_8);
    JsonObject made = new JsonObject().put("kid", kek.getString("kid")).put("algorithm", kek.getString("algorithm"))
        .put("expiresAt", kek.getValue("expiresAt")).put("file", outFile.toString());
    result(made, kek.getString("kid"));
    if (!json()) {
      progress("KEK " + kek.getString("kid") + " (" + kek.getString("algorithm") + ", valid until "
          + CliTimes.iso(made).getString("expiresAt") + "): public key in " + outFile);
    }
    return 0;
  }
}
