package io.licensor.support;

import io.licensor.config.ConfigLoader;
import io.licensor.config.LicensorConfig;
import io.licensor.node.Licensor;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real licensor node for tests: its own Vert.x, data directory, fresh PostgreSQL database, HTTP
 * on a free loopback port, and a test operator issuer. The event-loop blocked-thread threshold is
 * 100 ms (Vert.x's default is 2 s), and warnings are collected by {@link BlockedThreadWatch}.
 */
public final class TestNode implements AutoCloseable, Leftovers.Running {

  public static final long MAX_EVENT_LOOP_MILLIS = 100;

  public final Licensor node;
  public final Http http;
  public final Issuer operators;
  public final Path dataDir;
  public final String databaseUrl;
  /** Blocked-thread warnings before this index happened before the node was up. */
  public final int startMark;

  private volatile boolean closed;

  private TestNode(Licensor node, Issuer operators, Path dataDir, String databaseUrl) {
    this.node = node;
    this.http = new Http("http://127.0.0.1:" + node.port());
    this.operators = operators;
    this.dataDir = dataDir;
    this.databaseUrl = databaseUrl;
    this.startMark = BlockedThreadWatch.mark();
    Leftovers.started(this);
  }

  /** Event-loop blocked-thread warnings since this node was up. */
  public List<String> eventLoopWarnings() {
    return BlockedThreadWatch.eventLoopWarningsSince(startMark);
  }

  public static TestNode start() {
    return start(new JsonObject());
  }

  /** Starts a node; {@code overrides} are settings in the shape of conf/licensor.json. */
  public static TestNode start(JsonObject overrides) {
    Path dataDir;
    try {
      dataDir = Files.createTempDirectory("licensor-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String dbUrl = TestDatabase.freshDatabaseUrl();
    JsonObject settings = new JsonObject()
        .put("dataDir", dataDir.toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 2))
        .put("database", new JsonObject().put("url", dbUrl));
    return start(settings.mergeIn(overrides, true), dataDir, dbUrl, Issuer.rsa("https://operators.test"));
  }

  /** Starts a node on the given settings (data directory and database included). */
  public static TestNode start(JsonObject settings, Path dataDir, String dbUrl, Issuer operators) {
    return start(settings, dataDir, dbUrl, operators, Map.of());
  }

  /** As {@link #start(JsonObject, Path, String, Issuer)}, with environment variables for the configuration (secrets). */
  public static TestNode start(JsonObject settings, Path dataDir, String dbUrl, Issuer operators, Map<String, String> env) {
    BlockedThreadWatch.install();
    JsonObject full = settings.copy();
    // plain HTTP on loopback unless a test asks for HTTPS (TlsTest)
    JsonObject http = full.getJsonObject("http", new JsonObject());
    if (!http.containsKey("plaintext")) {
      full.put("http", http.put("plaintext", true));
    }
    if ("pkcs11".equals(System.getenv("LICENSOR_TEST_HSM"))) {
      // the same tests on a real PKCS#11 token (the pkcs11 surefire execution; SoftHSM2 in CI)
      JsonObject hsm = full.getJsonObject("hsm", new JsonObject());
      hsm.put("type", "pkcs11").put("pkcs11", new JsonObject().put("library", Pkcs11Token.library()));
      full.put("hsm", hsm);
    }
    // the test's operator issuer, after any a test configures itself (OperatorLoginTest's discovered one)
    JsonObject identity = full.getJsonObject("identity", new JsonObject());
    JsonArray operatorIssuers = identity.getJsonArray("operatorIssuers", new JsonArray()).copy()
        .add(new JsonObject().put("issuer", operators.issuer()).put("jwks", operators.jwks()));
    full.put("identity", identity.put("operatorIssuers", operatorIssuers));
    // test worlds are made without a passphrase; a test that checks the refusal says allowUnsealed: false
    JsonObject world = full.getJsonObject("world", new JsonObject());
    if (!world.containsKey("allowUnsealed")) {
      full.put("world", world.put("allowUnsealed", true));
    }
    Map<String, String> variables = new HashMap<>(env);
    if ("pkcs11".equals(System.getenv("LICENSOR_TEST_HSM"))) {
      variables.putIfAbsent("LICENSOR_HSM_PKCS11_PIN", Pkcs11Token.pin());
    }
    LicensorConfig config = ConfigLoader.load(full, variables);
    VertxOptions options = new VertxOptions()
        .setBlockedThreadCheckInterval(50)
        .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
        .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_MILLIS)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setWarningExceptionTime(100)
        .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
    CompletableFuture<Licensor> starting = Licensor.start(config, options).toCompletionStage().toCompletableFuture();
    try {
      return new TestNode(starting.get(TestTime.scaledMillis(120_000), TimeUnit.MILLISECONDS), operators, dataDir, dbUrl);
    } catch (Exception e) {
      // a start that is only slow must not leave a node behind once it is up
      starting.thenAccept(Licensor::stop);
      throw new IllegalStateException("test node did not start", e);
    }
  }

  public String operatorToken() {
    return operators.token("ops@licensor.test", List.of("operator"));
  }

  /** Creates a tenant whose users' tokens come from the returned issuer. */
  public Issuer createTenant(String id, String algorithm) {
    return Licensing.createTenant(http, operatorToken(), id, algorithm);
  }

  public static JsonObject tenantRequest(String id, String algorithm, Issuer idp) {
    return new JsonObject()
        .put("id", id)
        .put("displayName", "Tenant " + id)
        .put("adminEmail", "admin@" + id + ".test")
        .put("identity", new JsonObject().put("issuer", idp.issuer()).put("jwks", idp.jwks()))
        .put("key", new JsonObject().put("origin", "service").put("algorithm", algorithm));
  }

  /**
   * A tenant whose users come from an identity provider other tenants share (one realm for many
   * subscriptions): bound by the claim {@code tid} = the tenant id, which the provider's tokens carry.
   */
  public static JsonObject sharedIssuerTenantRequest(String id, String algorithm, Issuer idp) {
    JsonObject request = tenantRequest(id, algorithm, idp);
    request.getJsonObject("identity").put("tenantClaim", new JsonObject().put("name", "tid").put("value", id));
    return request;
  }

  @Override
  public boolean running() {
    return !closed;
  }

  @Override
  public void stop() {
    close();
  }

  @Override
  public String describe() {
    return "test node on " + http.base() + " (data " + dataDir + ")";
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Leftovers.stopped(this);
    try {
      node.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("test node did not stop", e);
    }
  }
}
