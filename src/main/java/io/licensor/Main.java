package io.licensor;

import io.licensor.byok.ByokWrap;
import io.licensor.cli.ByokKek;
import io.licensor.cli.ClientCommands;
import io.licensor.cli.CliException;
import io.licensor.cli.CommandGroup;
import io.licensor.cli.Env;
import io.licensor.cli.OperatorCommands;
import io.licensor.cli.TenantCommands;
import io.licensor.config.ConfigException;
import io.licensor.config.ConfigLoader;
import io.licensor.config.LicensorConfig;
import io.licensor.hsm.HsmCeiling;
import io.licensor.hsm.KeyAlgorithm;
import io.licensor.hsm.Pkcs11Hsm;
import io.licensor.hsm.SoftwareCrypto;
import io.licensor.hsm.SoftwareHsm;
import io.licensor.identity.DevIssuer;
import io.licensor.node.Licensor;
import io.licensor.world.WorldException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The {@code licensor} command line: the node ({@code serve}, {@code world}, {@code dr-drill}), the
 * operator's commands over HTTP ({@code tenant}, {@code backup}, {@code restore}, {@code incident},
 * {@code policy}, {@code cluster}, {@code audit}), the customer's ({@code byok}, {@code dev-token})
 * and a client's ({@code protect}, {@code open}).
 */
@Command(name = "licensor", mixinStandardHelpOptions = true, version = "licensor 0.1.0",
    description = {"A license-issuing server for rights-managed content with customer-managed tenant keys.", "",
        "Commands that talk to a server take --server URL (default: $LICENSOR_URL, else https://127.0.0.1:8443) and "
            + "--token-file FILE or --token JWT (default: $LICENSOR_TOKEN); --cacert FILE trusts a server's certificate "
            + "(default: $LICENSOR_CA_FILE, else a local node's self-signed data/tls/cert.pem).",
        "Exit codes: 0 done, 1 refused by the server or failed, 2 wrong usage or input (also input the server refused "
            + "as bad: 400, 413, 415), 3 server unreachable.",
        "Shell completion: source <(licensor generate-completion)"},
    subcommands = {Main.Serve.class, WorldCommands.class, DrDrill.class,
        TenantCommands.class, OperatorCommands.Backup.class,
        OperatorCommands.Restore.class, OperatorCommands.Incident.class,
        OperatorCommands.Policy.class, OperatorCommands.Mail.class, OperatorCommands.Cluster.class,
        OperatorCommands.Audit.class, OperatorCommands.Health.class,
        Main.Byok.class, Main.DevToken.class, io.licensor.cli.Login.class,
        ClientCommands.Protect.class, ClientCommands.Open.class, io.licensor.cli.DocumentCommands.class,
        io.licensor.cli.TemplateCommands.class,
        Main.BenchHsm.class, io.licensor.cli.CdsTraining.class, picocli.AutoComplete.GenerateCompletion.class})
public final class Main extends CommandGroup {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with its settings (tests run it in-process). */
  public static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  static LicensorConfig loadConfig(Path file) {
    return ConfigLoader.fromFileAndEnv(file, Env.all());
  }

  @Command(name = "serve", mixinStandardHelpOptions = true, description = "Start a node. With no configuration: embedded PostgreSQL and the software HSM "
      + "under ./data, HTTPS on 127.0.0.1:8443 with a self-signed certificate made under ./data/tls (its SHA-256 "
      + "fingerprint is logged). LICENSOR_HTTP_PLAINTEXT=true serves plain HTTP on 127.0.0.1:8080 instead (loopback only).")
  static final class Serve implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-c", "--config"}, description = "JSON configuration file (default: none, or $LICENSOR_CONFIG)")
    Path config;

    @Option(names = "--cluster", description = "Join a Hazelcast cluster (cluster.enabled=true): needs database.url, "
        + "the same security world on every node, and cluster.members (default: 127.0.0.1, conf/cluster.xml)")
    boolean cluster;

    @Option(names = "--port", paramLabel = "PORT", description = "the HTTP(S) port (http.port, LICENSOR_HTTP_PORT; default 8443)")
    Integer port;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "the data directory (dataDir, LICENSOR_DATA_DIR; default ./data)")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
      LicensorConfig cfg;
      try {
        Map<String, String> env = new HashMap<>(Env.all());
        if (cluster) {
          env.put("LICENSOR_CLUSTER_ENABLED", "true");
        }
        if (port != null) {
          env.put("LICENSOR_HTTP_PORT", Integer.toString(port));
        }
        if (dataDir != null) {
          env.put("LICENSOR_DATA_DIR", dataDir.toString());
        }
        cfg = ConfigLoader.fromFileAndEnv(config, env);
      } catch (ConfigException e) {
        spec.commandLine().getErr().println("licensor: configuration error: " + e.getMessage());
        return 2;
      }
      LogFormat.apply(cfg.logFormat());
      CountDownLatch stopped = new CountDownLatch(1);
      Licensor node;
      try {
        node = Licensor.start(cfg).toCompletionStage().toCompletableFuture().get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof ConfigException) {
          spec.commandLine().getErr().println("licensor: configuration error: " + cause.getMessage());
          return 2;
        }
        if (cause instanceof WorldException) {
          spec.commandLine().getErr().println("licensor: security world: " + cause.getMessage());
          return 2;
        }
        if (cause instanceof java.net.BindException) {
          // taken between the check at start and the bind
          spec.commandLine().getErr().println("licensor: configuration error: http.port (LICENSOR_HTTP_PORT, serve --port): " + cfg.httpHost()
              + ":" + cfg.httpPort() + " is in use by another program");
          return 2;
        }
        spec.commandLine().getErr().println("licensor: start-up failed: " + cause);
        return 1;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          System.err.println("licensor: stop failed: " + e);
        } finally {
          stopped.countDown();
        }
      }, "licensor-shutdown"));
      stopped.await();
      return 0;
    }
  }

  @Command(name = "dev-token", mixinStandardHelpOptions = true, description = "Mint a token from the local dev issuer (dev mode only; never for real tenants).")
  static final class DevToken extends io.licensor.cli.CliCommand {

    @Option(names = "--data-dir", description = "the node's data directory (default: dataDir of the configuration)")
    Path dataDir;

    @Option(names = {"-c", "--config"}, description = "JSON configuration file")
    Path config;

    @Option(names = "--sub", defaultValue = "operator@licensor.local", description = "subject (default: ${DEFAULT-VALUE})")
    String subject;

    @Option(names = "--tenant", description = "tenant id: mints a tenant user's token (tid claim); omit for an operator token")
    String tenant;

    @Option(names = "--roles", split = ",", description = "roles (default: operator without --tenant, none with it)")
    List<String> roles;

    @Option(names = "--groups", split = ",", description = "groups claim")
    List<String> groups = List.of();

    @Option(names = "--ttl", defaultValue = "3600", description = "lifetime in seconds (default: ${DEFAULT-VALUE})")
    long ttl;

    @Option(names = "--jwks", description = "print the dev issuer's public JWK Set instead (for a tenant's identity.jwks)")
    boolean jwks;

    @Override
    protected int execute() throws Exception {
      LicensorConfig cfg = loadConfig(config);
      if (!cfg.devEnabled()) {
        throw new CliException(CliException.USAGE, "dev mode is off; set LICENSOR_DEV_ENABLED=true (dev.enabled) to use dev tokens");
      }
      DevIssuer issuer = DevIssuer.loadOrCreate(dataDir != null ? dataDir : cfg.dataDir());
      if (jwks) {
        printJsonOrLine(issuer.publicJwks().toString());
        return 0;
      }
      List<String> r = roles != null ? roles : tenant == null ? List.of("operator") : List.of();
      String token = issuer.mint(subject, tenant, r, groups, ttl, cfg.audience());
      result(new io.vertx.core.json.JsonObject().put("token", token).put("subject", subject).put("tenant", tenant)
          .put("roles", new io.vertx.core.json.JsonArray(r)).put("expiresAt", java.time.Instant.now().getEpochSecond() + ttl), token);
      return 0;
    }

    private void printJsonOrLine(String jwkSet) {
      if (json()) {
        printJson(new io.vertx.core.json.JsonObject(jwkSet));
      } else {
        out().println(jwkSet);
      }
    }
  }

  @Command(name = "bench-hsm", mixinStandardHelpOptions = true, description = "Measure this machine's software-HSM ceiling: unwrap + sign pairs per second.")
  static final class BenchHsm extends io.licensor.cli.CliCommand {

    @Option(names = "--algorithm", defaultValue = "RSA-2048", description = "key algorithm (default: ${DEFAULT-VALUE})")
    String algorithm;

    @Option(names = "--seconds", defaultValue = "10", description = "measurement time (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--threads", defaultValue = "1", description = "threads = HSM sessions (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--hsm", defaultValue = "software", description = "software, or pkcs11 (module and PIN from "
        + "LICENSOR_HSM_PKCS11_LIBRARY and LICENSOR_HSM_PKCS11_PIN)")
    String hsmType;

    @Option(names = "--provider", defaultValue = "auto", description = "the software HSM's provider: auto, native or jdk "
        + "(default: ${DEFAULT-VALUE}, as hsm.software.provider)")
    String provider;

    @Option(names = "--delegated", description = "the signature by a delegated signing key (ES256), as a license costs "
        + "the HSM with licensing.delegatedSigning (the default); without it, by the version's key")
    boolean delegated;

    @Override
    protected int execute() throws Exception {
      var alg = KeyAlgorithm.fromWireName(algorithm).orElse(null);
      if (alg == null) {
        throw new CliException(CliException.USAGE, "unknown algorithm " + algorithm);
      }
      double rate;
      if ("pkcs11".equals(hsmType)) {
        String pin = System.getenv("LICENSOR_HSM_PKCS11_PIN");
        try (Pkcs11Hsm hsm = new Pkcs11Hsm(System.getenv("LICENSOR_HSM_PKCS11_LIBRARY"), 0,
            pin == null ? new char[0] : pin.toCharArray(), HsmCeiling.benchWorld(), threads, 16)) {
          rate = HsmCeiling.measure(hsm, alg, seconds, threads, delegated);
        }
      } else {
        SoftwareCrypto.Choice choice;
        try {
          choice = SoftwareCrypto.Choice.of(provider);
        } catch (IllegalArgumentException e) {
          throw new CliException(CliException.USAGE, "--provider: auto, native or jdk, not " + provider);
        }
        SoftwareCrypto crypto = SoftwareCrypto.choose(choice);
        hsmType = "software provider=\"" + crypto.description() + "\"";
        try (SoftwareHsm hsm = new SoftwareHsm(HsmCeiling.benchWorld(), 16, crypto)) {
          rate = HsmCeiling.measure(hsm, alg, seconds, threads, delegated);
        }
      }
      String operation = delegated ? "unwrap+delegated-sign" : "unwrap+sign";
      result(new io.vertx.core.json.JsonObject().put("hsm", hsmType).put("algorithm", algorithm).put("threads", threads)
              .put("operation", operation).put("perSecond", Math.round(rate * 10) / 10.0),
          String.format(Locale.ROOT, "hsm-ceiling hsm=%s algorithm=%s threads=%d %s/s=%.1f", hsmType, algorithm, threads,
              operation, rate));
      return 0;
    }
  }

  @Command(name = "byok", mixinStandardHelpOptions = true, description = "Bring-your-own-key tools for customers.",
      subcommands = {ByokKek.class, Main.ByokWrapCommand.class})
  static final class Byok extends CommandGroup {
  }

  @Command(name = "wrap", mixinStandardHelpOptions = true, description = "Wrap a private key for transfer to licensor: writes a .byok file "
      + "(RSA-OAEP of an AES-256 key under the KEK, then AES-KWP of the PKCS#8 key).")
  static final class ByokWrapCommand extends io.licensor.cli.CliCommand {

    @Option(names = "--key", required = true, description = "the tenant private key: PKCS#8 PEM, traditional PEM, or PKCS#8 DER")
    Path key;

    @Option(names = "--kek", required = true, description = "the KEK public key (PEM, from POST /v1/tenants/{tid}/byok/kek)")
    Path kek;

    @Option(names = "--kek-kid", required = true, description = "the KEK's kid")
    String kekKid;

    @Option(names = "--oaep-hash", defaultValue = "SHA-1", description = "SHA-1 (default, as Azure Key Vault) or SHA-256")
    String oaepHash;

    @Option(names = {"-o", "--out"}, description = "output file, written 0600 (default: standard output)")
    Path out;

    @Option(names = "--force", description = "replace --out if it exists")
    boolean force;

    @Override
    protected int execute() throws Exception {
      if (!oaepHash.equals("SHA-1") && !oaepHash.equals("SHA-256")) {
        throw new CliException(CliException.USAGE, "--oaep-hash must be SHA-1 or SHA-256");
      }
      byte[] pkcs8 = KeyFiles.privateKeyPkcs8(key);
      try {
        String json = ByokWrap.wrap(pkcs8, KeyFiles.publicKey(kek), kekKid, oaepHash).toJson().encodePrettily();
        if (out == null) {
          out().println(json);
        } else {
          io.licensor.cli.SecretFiles.write(out, json, force, "--out");
          result(new io.vertx.core.json.JsonObject().put("file", out.toString()).put("kekKid", kekKid).put("oaepHash", oaepHash),
              "wrapped " + key + " for " + kekKid + " into " + out);
        }
        return 0;
      } finally {
        Arrays.fill(pkcs8, (byte) 0);
      }
    }
  }
}
