package io.licensor.cli;

import com.nimbusds.jwt.JWTParser;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;

/**
 * {@code licensor cds-training} (hidden): what bin/licensor runs once per jar to record the classes
 * the command line commonly loads into its class-data sharing archive — the command tree and its
 * help, a JSON body, a token parsed, the HTTP client with its trust set-up and a request (to a
 * loopback port nothing listens on, refused at once). Prints nothing; always exits 0.
 */
@Command(name = "cds-training", hidden = true, mixinStandardHelpOptions = true, description = "Record the command line's common classes (bin/licensor runs it).")
public final class CdsTraining extends CliCommand {

  @Override
  protected int execute() {
    CommandLine root = spec.root().commandLine();
    StringWriter sink = new StringWriter();
    root.usage(new PrintWriter(sink));
    for (CommandLine sub : root.getSubcommands().values()) {
      sub.usage(new PrintWriter(sink));
    }
    new JsonObject(new JsonObject().put("tenant", "t").put("keys", new io.vertx.core.json.JsonArray().add(1)).encode())
        .encodePrettily();
    try {
      JWTParser.parse("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln");
    } catch (java.text.ParseException e) {
      // only the classes matter
    }
    URI nowhere = URI.create("https://127.0.0.1:1/");
    try {
      new ApiClient(CliTrust.client(null, nowhere), nowhere, "token").exchange("GET", "health/ready", new JsonObject());
    } catch (CliException e) {
      // refused: expected
    }
    return 0;
  }
}
