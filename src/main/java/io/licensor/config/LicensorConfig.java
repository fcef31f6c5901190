package io.licensor.config;

import io.licensor.identity.remote.RemoteKeys;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The node's validated settings. Built only by {@link ConfigLoader}, so every value here has
 * already passed its check; getters never fail.
 */
public final class LicensorConfig {

  private final Map<String, Object> values;

  LicensorConfig(Map<String, Object> values) {
    this.values = Collections.unmodifiableMap(new HashMap<>(values));
  }

  private Object get(String path) {
    return values.get(path);
  }

  private String str(String path) {
    return (String) get(path);
  }

  private int integer(String path) {
    return (Integer) get(path);
  }

  private boolean bool(String path) {
    return (Boolean) get(path);
  }

  public Path dataDir() {
    return Path.of(str("dataDir")).toAbsolutePath().normalize();
  }

  public String httpHost() {
    return str("http.host");
  }

  /** One log line per HTTP request (logger {@code licensor.access}): request id, method, path, status, bytes, time. */
  public boolean accessLog() {
    return bool("http.accessLog");
  }

  /** {@code text} (the pattern of logback.xml) or {@code json} (one JSON object per line, logback's JsonEncoder). */
  public String logFormat() {
    return str("log.format");
  }

  /** Browser origins allowed to call the API across origins (CORS); empty, the default: none. */
  public java.util.List<String> corsAllowedOrigins() {
    return ConfigLoader.corsOrigins(str("http.cors.allowedOrigins"));
  }

  /** The listen port: as set, else 8443 for HTTPS and 8080 for plain HTTP. */
  public int httpPort() {
    Integer port = (Integer) get("http.port");
    return port != null ? port : httpPlaintext() ? 8080 : 8443;
  }

  /** On stop, how long requests in progress may take to finish before their connections are closed. */
  public int shutdownGraceSeconds() {
    return integer("http.shutdownGraceSeconds");
  }

  /** Plain HTTP instead of HTTPS; the loader allows it only on a loopback address. */
  /** Where HTTPS runs: auto (OpenSSL where its native library loads, else the JDK), openssl, or jdk. */
  public String httpTlsEngine() {
    return str("http.tlsEngine");
  }

  public boolean httpPlaintext() {
    return bool("http.plaintext");
  }

  /** The PEM certificate (chain) of the HTTPS server, or null for the self-signed one under the data directory. */
  public String tlsCertFile() {
    return str("http.tls.certFile");
  }

  public String tlsKeyFile() {
    return str("http.tls.keyFile");
  }

  /** HSM operations one tenant may have queued on this node; beyond it that tenant gets hsm-busy. */
  public int hsmTenantQueueCapacity() {
    return integer("hsm.tenantQueueCapacity");
  }

  /** Publishing and licensing requests a tenant may make per second on this node; 0 = no limit. */
  public int tenantRatePerSecond() {
    return integer("limits.tenantRatePerSecond");
  }

  /** Requests a tenant may make at once above its rate (the token bucket's size): 0 = one second's worth. */
  public int tenantBurst() {
    int burst = integer("limits.tenantBurst");
    return burst > 0 ? burst : tenantRatePerSecond();
  }

  /**
   * The security world this node serves, or null. With {@code hsm.type pkcs11} and no module key in
   * the data directory, the world is taken from the token alone (it was enrolled there by an
   * earlier start); with a module key, the key's world must be this one.
   */
  public String worldId() {
    String id = str("world.id");
    return id == null || id.isBlank() ? null : id;
  }

  /** Whether a node on an external database or in a cluster may run with its module key in the clear. */
  public boolean allowUnsealedWorld() {
    return bool("world.allowUnsealed");
  }

  /** The longest a bearer token may be valid for (its exp after its iat); longer-lived tokens are refused. */
  public int maxTokenLifetimeSeconds() {
    return integer("identity.maxTokenLifetimeSeconds");
  }

  /** Key generations (tenant keys, re-keys, KEKs) queued or running on this node; beyond it hsm-busy. */
  public int hsmGenerationQueue() {
    return integer("hsm.generationQueue");
  }

  /** Threads that encrypt exported keys under their passwords (PBKDF2), apart from the HSM sessions. */
  public int hsmExportThreads() {
    return integer("hsm.exportThreads");
  }

  /** Exports, KEKs and re-keys a tenant's users may ask for per minute on this node; 0 = no limit. */
  public int keyOperationsPerMinute() {
    return integer("limits.keyOperationsPerMinute");
  }

  /** The most key versions one tenant may have (destroyed ones included). */
  public int maxKeyVersions() {
    return integer("limits.maxKeyVersions");
  }

  /** The most unexpired key-exchange keys one tenant id may hold. */
  public int maxKeks() {
    return integer("limits.maxKeks");
  }

  /** Of those, how many at once (the bucket's size). */
  public int keyOperationsBurst() {
    return integer("limits.keyOperationsBurst");
  }

  /** A clustered event bus without TLS: the loader allows it only on a loopback address. */
  public boolean clusterPlaintext() {
    return bool("cluster.plaintext");
  }

  /** Number of HTTP verticle instances; 0 in the file means one per core. */
  public int httpInstances() {
    int n = integer("http.instances");
    return n > 0 ? n : Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  public int maxBodyBytes() {
    return integer("http.maxBodyBytes");
  }

  /** PostgreSQL URL, or null for the embedded database under the data directory. */
  public String databaseUrl() {
    return str("database.url");
  }

  public String databaseUser() {
    return str("database.user");
  }

  /** The database password: from LICENSOR_DATABASE_PASSWORD or a file, never from the config file. */
  public String databasePassword() {
    return str("database.password");
  }

  public int databasePoolSize() {
    return integer("database.poolSize");
  }

  /**
   * How long PostgreSQL lets a session of this node sit idle inside a transaction before it ends
   * the session: a node paused mid-transaction (SIGSTOP, a VM or GC pause) then holds its row locks
   * (an audit chain's head, a tenant row) for this long at most, not until it runs again.
   */
  public int databaseIdleTransactionTimeoutMs() {
    return integer("database.idleTransactionTimeoutMs");
  }

  /** The software HSM's provider: auto (native where it loads, else the JDK's), native, or jdk. */
  public String softwareHsmProvider() {
    return str("hsm.software.provider");
  }

  public int embeddedDatabasePort() {
    return integer("database.embeddedPort");
  }

  public String hsmType() {
    return str("hsm.type");
  }

  public String pkcs11Library() {
    return str("hsm.pkcs11.library");
  }

  public int pkcs11SlotListIndex() {
    return integer("hsm.pkcs11.slotListIndex");
  }

  /** The token's user PIN (environment or file only). */
  public char[] pkcs11Pin() {
    String pin = str("hsm.pkcs11.pin");
    return pin == null ? null : pin.toCharArray();
  }

  /**
   * The token's SO PIN (environment or file only), or null: needed only on the first start against
   * a token, to enrol the world's wrapping keys as trusted keys.
   */
  public char[] pkcs11SoPin() {
    String pin = str("hsm.pkcs11.soPin");
    return pin == null || pin.isEmpty() ? null : pin.toCharArray();
  }

  /** HSM sessions for licensing and the short operations; 0 (the default): one per core of this host, at most 64. */
  public int hsmSessions() {
    int set = integer("hsm.sessions");
    return set > 0 ? set : Math.min(64, Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  public int hsmQueueCapacity() {
    return integer("hsm.queueCapacity");
  }

  public int hsmTimeoutMs() {
    return integer("hsm.timeoutMs");
  }

  public int hsmRetryAfterSeconds() {
    return integer("hsm.retryAfterSeconds");
  }

  public int hsmKeyCacheSize() {
    return integer("hsm.keyCacheSize");
  }

  public String audience() {
    return str("identity.audience");
  }

  public int clockSkewSeconds() {
    return integer("identity.clockSkewSeconds");
  }

  /** Operator issuers as given: each {@code {issuer, jwks | jwksFile}}; checked by the loader. */
  /** The settings of the identity providers' published key sets (identity.remoteKeys.*). */
  public RemoteKeys.Settings remoteKeys() {
    JsonArray networks = (JsonArray) get("identity.remoteKeys.allowedNetworks");
    List<String> cidrs = new ArrayList<>();
    networks.forEach(n -> cidrs.add((String) n));
    return new RemoteKeys.Settings(cidrs, str("identity.remoteKeys.trustFile"), integer("identity.remoteKeys.cacheSeconds"),
        integer("identity.remoteKeys.minCacheSeconds"), integer("identity.remoteKeys.maxCacheSeconds"),
        integer("identity.remoteKeys.refreshIntervalSeconds"), integer("identity.remoteKeys.outageSeconds"),
        integer("identity.remoteKeys.timeoutMs"), 512 * 1024, integer("identity.remoteKeys.maxSets"));
  }

  public JsonArray operatorIssuers() {
    return ((JsonArray) get("identity.operatorIssuers")).copy();
  }

  public int rolloverWindowSeconds() {
    return integer("keys.rolloverWindowSeconds");
  }

  public int keyRefreshSeconds() {
    return integer("keys.refreshSeconds");
  }

  public int defaultLicenseTtlSeconds() {
    return integer("licensing.defaultLicenseTtlSeconds");
  }

  public int maxLicenseTtlSeconds() {
    return integer("licensing.maxLicenseTtlSeconds");
  }

  /** Whether use licenses are signed by short-lived delegated keys the key version certified (SPEC §3). */
  public boolean delegatedSigning() {
    return bool("licensing.delegatedSigning");
  }

  /** How long one delegated signing key signs use licenses before the next replaces it. */
  public int signingKeyLifetimeSeconds() {
    return integer("licensing.signingKeyLifetimeSeconds");
  }

  /** The passphrase sealing the module key file, or null (environment only: LICENSOR_WORLD_MODULE_PASSPHRASE). */
  public char[] modulePassphrase() {
    String p = str("world.modulePassphrase");
    return p == null ? null : p.toCharArray();
  }

  /** How long a BYOK key-exchange key stays usable. */
  public int kekTtlSeconds() {
    return integer("byok.kekTtlSeconds");
  }

  /** This node's name in audit records and the cluster view; default host name and process id. */
  public String nodeId() {
    String id = str("node.id");
    return id != null ? id : ManagementFactory.getRuntimeMXBean().getName();
  }

  /** Whether key use (publish, license) is audited; lifecycle actions always are. */
  /**
   * Whether a license or publishing license is answered only once its key-use record is durable in
   * PostgreSQL (true, the default: every answered license is in the audit, across kill -9), or at
   * once, the record written with the next batch (a kill -9 loses up to a batch interval of them;
   * licensing then goes on through a database outage for as long as the directory lease runs).
   */
  public boolean auditKeyUseDurable() {
    return bool("audit.keyUseDurable");
  }

  /** How long an answer waits for its key-use record to be durable before it fails 503 audit-unavailable. */
  public int auditDurableTimeoutMs() {
    return integer("audit.durableTimeoutMs");
  }

  public boolean auditKeyUse() {
    return bool("audit.keyUse");
  }

  public int auditQueueCapacity() {
    return integer("audit.queueCapacity");
  }

  public int auditBatchSize() {
    return integer("audit.batchSize");
  }

  public int auditFlushMillis() {
    return integer("audit.flushMillis");
  }

  /** A file the audit stream is also written to, as JSON lines (null: none). */
  public String auditFilePath() {
    return str("audit.file.path");
  }

  /** A syslog collector the audit stream is also sent to, host:port (null: none). */
  public String auditSyslogAddress() {
    return str("audit.syslog.address");
  }

  public String auditSyslogFacility() {
    return str("audit.syslog.facility");
  }

  public boolean auditSyslogTls() {
    return bool("audit.syslog.tls");
  }

  public String auditSyslogCaFile() {
    return str("audit.syslog.caFile");
  }

  public String auditSyslogSdId() {
    return str("audit.syslog.sdId");
  }

  public int auditSyslogQueueCapacity() {
    return integer("audit.syslog.queueCapacity");
  }

  public boolean devEnabled() {
    return bool("dev.enabled");
  }

  /** The web page at /web/ (protect and open files in the browser, on the JavaScript client). */
  public boolean webEnabled() {
    return bool("web.enabled");
  }

  /** A copy with some settings replaced; used by tests and by the CLI's flags. Re-validated. */
  public LicensorConfig with(JsonObject overrides) {
    return ConfigLoader.load(toJson().mergeIn(overrides, true), Map.of());
  }

  /** The settings as a nested JSON object (the password is left out). */
  public JsonObject toJson() {
    JsonObject root = new JsonObject();
    values.forEach((path, value) -> {
      if (path.equals("database.password") || path.equals("world.modulePassphrase") || path.equals("hsm.pkcs11.pin")
          || path.equals("hsm.pkcs11.soPin")) {
        return;
      }
      String[] parts = path.split("\\.");
      JsonObject node = root;
      for (int i = 0; i < parts.length - 1; i++) {
        JsonObject child = node.getJsonObject(parts[i]);
        if (child == null) {
          child = new JsonObject();
          node.put(parts[i], child);
        }
        node = child;
      }
      node.put(parts[parts.length - 1], value);
    });
    return root;
  }

  /** Whether this node joins a Hazelcast cluster (off: a single node, no Hazelcast at all). */
  public boolean clusterEnabled() {
    return bool("cluster.enabled");
  }

  /** A Hazelcast XML configuration; null: the built-in loopback one (the same as conf/cluster.xml). */
  public String clusterConfigFile() {
    return str("cluster.configFile");
  }

  /** Overrides of the Hazelcast configuration; null or 0: as in the XML. */
  public String clusterName() {
    return str("cluster.name");
  }

  public String clusterHost() {
    return str("cluster.host");
  }

  public int clusterPort() {
    return integer("cluster.port");
  }

  /** Comma-separated host[:port] of the members to join by TCP/IP. */
  public String clusterMembers() {
    return str("cluster.members");
  }

  public int clusterEventBusPort() {
    return integer("cluster.eventBusPort");
  }

  /** How long a lifecycle change waits for each member to confirm it applied the change. */
  /**
   * The directory lease: how long a node serves from its cache after it last proved it current
   * against the database, and so the longest a lifecycle call waits for a node it cannot reach.
   */
  public int leaseMillis() {
    return integer("cluster.leaseMillis");
  }

  public int clusterNoticeTimeoutMs() {
    return integer("cluster.noticeTimeoutMs");
  }

  /** Tenants a node re-keys per second in incident campaigns (each node runs campaigns). */
  public int campaignRatePerSecond() {
    return integer("incidents.campaignRatePerSecond");
  }

  /** Re-keys a node's campaign runs at once (each holds an HSM key generation and a transaction). */
  public int campaignConcurrency() {
    return integer("incidents.campaignConcurrency");
  }

  /** How often a campaign looks again at a BYOK tenant waiting for its customer's new key. */
  public int customerKeyRecheckSeconds() {
    return integer("incidents.customerKeyRecheckSeconds");
  }

  /** Attempts before a campaign marks a tenant failed. */
  public int campaignMaxAttempts() {
    return integer("incidents.campaignMaxAttempts");
  }

  /** Whether /metrics answers anyone (else operators only). */
  public boolean metricsPublic() {
    return bool("metrics.public");
  }

  /** {@code log} (the embedded default: e-mail is logged, not sent) or {@code smtp}. */
  public String mailMode() {
    return str("mail.mode");
  }

  public String mailHost() {
    return str("mail.host");
  }

  public int mailPort() {
    return integer("mail.port");
  }

  public String mailFrom() {
    return str("mail.from");
  }

  public String mailStartTls() {
    return str("mail.starttls");
  }

  public String mailUsername() {
    return str("mail.username");
  }

  /** Environment only (LICENSOR_MAIL_PASSWORD). */
  public String mailPassword() {
    return str("mail.password");
  }

  public int mailPollMillis() {
    return integer("mail.pollMillis");
  }

  public int mailMaxBackoffSeconds() {
    return integer("mail.maxBackoffSeconds");
  }
}
