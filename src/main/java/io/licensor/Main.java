package io.licensor;

import io.licensor.config.ConfigException;
import io.licensor.config.ConfigLoader;
import io.licensor.config.LicensorConfig;
import io.licensor.identity.DevIssuer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** The {@code licensor} command line: {@code serve}, {@code dev-token}. */
@Command(name = "licensor", mixinStandardHelpOptions = true, version = "licensor 0.1.0",
    description = "A license-issuing server for rights-managed content with customer-managed tenant keys.",
    subcommands = {Main.Serve.class, Main.DevToken.class, Main.BenchHsm.class, Main.Byok.class, WorldCommands.class, DrDrill.class})
public final class Main implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  static LicensorConfig loadConfig(Path file) {
    return ConfigLoader.fromFileAndEnv(file, System.getenv());
  }

  @Command(name = "serve", description = "Start a node. With no configuration: embedded PostgreSQL and the software HSM "
      + "under ./data, HTTP on 127.0.0.1:8080.")
  static final class Serve implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, description = "JSON configuration file (default: none, or $LICENSOR_CONFIG)")
    Path config;

    @Option(names = "--cluster", description = "Join a Hazelcast cluster (cluster.enabled=true): needs database.url, "
        + "the same security world on every node, and cluster.members (default: 127.0.0.1, conf/cluster.xml)")
    boolean cluster;

    @Override
    public Integer call() throws Exception {
      LicensorConfig cfg;
      try {
        java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
        if (cluster) {
          env.put("LICENSOR_CLUSTER_ENABLED", "true");
        }
        cfg = ConfigLoader.fromFileAndEnv(config, env);
      } catch (ConfigException e) {
        System.err.println("licensor: configuration error: " + e.getMessage());
        return 2;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Licensor node;
      try {
        node = Licensor.start(cfg).toCompletionStage().toCompletableFuture().get();
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof ConfigException) {
          System.err.println("licensor: configuration error: " + cause.getMessage());
          return 2;
        }
        if (cause instanceof io.licensor.world.WorldException) {
          System.err.println("licensor: security world: " + cause.getMessage());
          return 2;
        }
        System.err.println("licensor: start-up failed: " + cause);
        return 1;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          node.stop().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
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

  @Command(name = "dev-token", description = "Mint a token from the local dev issuer (dev mode only; never for real tenants).")
  static final class DevToken implements Callable<Integer> {

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
    public Integer call() throws Exception {
      LicensorConfig cfg = loadConfig(config);
      if (!cfg.devEnabled()) {
        System.err.println("licensor: dev mode is off; set LICENSOR_DEV_ENABLED=true (dev.enabled) to use dev tokens");
        return 2;
      }
      DevIssuer issuer = DevIssuer.loadOrCreate(dataDir != null ? dataDir : cfg.dataDir());
      if (jwks) {
        System.out.println(issuer.publicJwks().toString());
        return 0;
      }
      List<String> r = roles != null ? roles : tenant == null ? List.of("operator") : List.of();
      System.out.println(issuer.mint(subject, tenant, r, groups, ttl, cfg.audience()));
      return 0;
    }
  }

  @Command(name = "bench-hsm", description = "Measure this machine's software-HSM ceiling: unwrap + sign pairs per second.")
  static final class BenchHsm implements Callable<Integer> {

    @Option(names = "--algorithm", defaultValue = "RSA-2048", description = "key algorithm (default: ${DEFAULT-VALUE})")
    String algorithm;

    @Option(names = "--seconds", defaultValue = "10", description = "measurement time (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--threads", defaultValue = "1", description = "threads = HSM sessions (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--hsm", defaultValue = "software", description = "software, or pkcs11 (module and PIN from "
        + "LICENSOR_HSM_PKCS11_LIBRARY and LICENSOR_HSM_PKCS11_PIN)")
    String hsmType;

    @Override
    public Integer call() throws Exception {
      var alg = io.licensor.hsm.KeyAlgorithm.fromWireName(algorithm).orElse(null);
      if (alg == null) {
        System.err.println("licensor: unknown algorithm " + algorithm);
        return 2;
      }
      double rate;
      if ("pkcs11".equals(hsmType)) {
        String pin = System.getenv("LICENSOR_HSM_PKCS11_PIN");
        try (io.licensor.hsm.Pkcs11Hsm hsm = new io.licensor.hsm.Pkcs11Hsm(System.getenv("LICENSOR_HSM_PKCS11_LIBRARY"), 0,
            pin == null ? new char[0] : pin.toCharArray(), io.licensor.hsm.HsmCeiling.benchWorld(), threads, 16)) {
          rate = io.licensor.hsm.HsmCeiling.measure(hsm, alg, seconds, threads);
        }
      } else {
        rate = io.licensor.hsm.HsmCeiling.measure(alg, seconds, threads);
      }
      System.out.printf(java.util.Locale.ROOT, "hsm-ceiling hsm=%s algorithm=%s threads=%d unwrap+sign/s=%.1f%n", hsmType,
          algorithm, threads, rate);
      return 0;
    }
  }

  @Command(name = "byok", description = "Bring-your-own-key tools for customers.", subcommands = {Main.ByokWrapCommand.class})
  static final class Byok implements Runnable {
    @Override
    public void run() {
      new CommandLine(this).usage(System.out);
    }
  }

  @Command(name = "wrap", description = "Wrap a private key for transfer to licensor: writes a .byok file "
      + "(RSA-OAEP of an AES-256 key under the KEK, then AES-KWP of the PKCS#8 key).")
  static final class ByokWrapCommand implements Callable<Integer> {

    @Option(names = "--key", required = true, description = "the tenant private key: PKCS#8 PEM, traditional PEM, or PKCS#8 DER")
    Path key;

    @Option(names = "--kek", required = true, description = "the KEK public key (PEM, from POST /v1/tenants/{tid}/byok/kek)")
    Path kek;

    @Option(names = "--kek-kid", required = true, description = "the KEK's kid")
    String kekKid;

    @Option(names = "--oaep-hash", defaultValue = "SHA-1", description = "SHA-1 (default, as Azure Key Vault) or SHA-256")
    String oaepHash;

    @Option(names = {"-o", "--out"}, description = "output file (default: standard output)")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (!oaepHash.equals("SHA-1") && !oaepHash.equals("SHA-256")) {
        System.err.println("licensor: --oaep-hash must be SHA-1 or SHA-256");
        return 2;
      }
      byte[] pkcs8 = KeyFiles.privateKeyPkcs8(key);
      try {
        String json = io.licensor.byok.ByokWrap.wrap(pkcs8, KeyFiles.publicKey(kek), kekKid, oaepHash).toJson().encodePrettily();
        if (out == null) {
          System.out.println(json);
        } else {
          java.nio.file.Files.writeString(out, json);
        }
        return 0;
      } finally {
        java.util.Arrays.fill(pkcs8, (byte) 0);
      }
    }
  }
}
