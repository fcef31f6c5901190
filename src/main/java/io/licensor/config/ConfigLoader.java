package io.licensor.config;

import io.licensor.identity.remote.AllowedNetworks;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link LicensorConfig} from built-in defaults, then an optional JSON file, then
 * environment variables. Every setting has one path ({@code http.port}) and one environment
 * variable ({@code LICENSOR_HTTP_PORT}): {@code LICENSOR_} followed by the path with each
 * camelCase word upper-cased and dots turned into underscores. Unknown or invalid settings stop
 * start-up with a message naming the setting.
 */
public final class ConfigLoader {

  enum Kind { STRING, INT, BOOL, JSON_ARRAY }

  record Setting(String path, Kind kind, Object defaultValue, int min, int max, Set<String> choices) {
    static Setting string(String path, String def) {
      return new Setting(path, Kind.STRING, def, 0, 0, Set.of());
    }

    static Setting choice(String path, String def, String... choices) {
      return new Setting(path, Kind.STRING, def, 0, 0, Set.of(choices));
    }

    static Setting integer(String path, Integer def, int min, int max) {
      return new Setting(path, Kind.INT, def, min, max, Set.of());
    }

    static Setting bool(String path, boolean def) {
      return new Setting(path, Kind.BOOL, def, 0, 0, Set.of());
    }

    static Setting array(String path) {
      return new Setting(path, Kind.JSON_ARRAY, new JsonArray(), 0, 0, Set.of());
    }

    String envName() {
      return envNameOf(path);
    }
  }

  /** Every setting licensor knows, with its default. Documented in conf/licensor.json and docs/configuration.md. */
  static final List<Setting> SETTINGS = List.of(
      Setting.string("dataDir", "data"),
      Setting.string("http.host", "127.0.0.1"),
      Setting.integer("http.port", null, 0, 65535),
      Setting.bool("http.plaintext", false),
      Setting.choice("http.tlsEngine", "auto", "auto", "openssl", "jdk"),
      Setting.integer("http.shutdownGraceSeconds", 10, 0, 600),
      Setting.string("http.tls.certFile", null),
      Setting.string("http.tls.keyFile", null),
      Setting.integer("http.instances", 0, 0, 64),
      Setting.string("http.cors.allowedOrigins", null),
      Setting.bool("http.accessLog", false),
      Setting.choice("log.format", "text", "text", "json"),
      Setting.integer("http.maxBodyBytes", 65536, 1024, 16 * 1024 * 1024),
      Setting.string("database.url", null),
      Setting.string("database.user", "postgres"),
      Setting.string("database.password", null),
      Setting.string("database.passwordFile", null),
      Setting.integer("database.poolSize", 8, 1, 256),
      Setting.integer("database.embeddedPort", 0, 0, 65535),
      Setting.integer("database.idleTransactionTimeoutMs", 5000, 100, 600_000),
      Setting.choice("hsm.type", "software", "software", "pkcs11"),
      Setting.choice("hsm.software.provider", "auto", "auto", "native", "jdk"),
      Setting.string("hsm.pkcs11.library", null),
      Setting.integer("hsm.pkcs11.slotListIndex", 0, 0, 1024),
      Setting.string("hsm.pkcs11.pin", null),
      Setting.string("hsm.pkcs11.pinFile", null),
      Setting.string("hsm.pkcs11.soPin", null),
      Setting.string("hsm.pkcs11.soPinFile", null),
      Setting.integer("hsm.sessions", 0, 0, 64),
      Setting.integer("hsm.queueCapacity", 2048, 1, 1_000_000),
      Setting.integer("hsm.timeoutMs", 30_000, 100, 600_000),
      Setting.integer("hsm.retryAfterSeconds", 1, 1, 3600),
      Setting.integer("hsm.keyCacheSize", 16_384, 1, 10_000_000),
      Setting.integer("hsm.tenantQueueCapacity", 512, 1, 1_000_000),
      Setting.integer("limits.tenantRatePerSecond", 1000, 0, 1_000_000),
      Setting.integer("limits.tenantBurst", 0, 0, 10_000_000),
      Setting.integer("hsm.generationQueue", 64, 1, 10_000),
      Setting.integer("hsm.exportThreads", 1, 1, 64),
      Setting.integer("limits.keyOperationsPerMinute", 6, 0, 100_000),
      Setting.integer("limits.keyOperationsBurst", 3, 1, 100_000),
      Setting.integer("limits.maxKeyVersions", 500, 2, 100_000),
      Setting.integer("limits.maxKeks", 8, 1, 1_000),
      Setting.string("identity.audience", "licensor"),
      Setting.integer("identity.clockSkewSeconds", 60, 0, 600),
      Setting.integer("identity.maxTokenLifetimeSeconds", 86_400, 60, 31 * 86_400),
      Setting.array("identity.operatorIssuers"),
      Setting.array("identity.remoteKeys.allowedNetworks"),
      Setting.string("identity.remoteKeys.trustFile", null),
      Setting.integer("identity.remoteKeys.cacheSeconds", 900, 1, 7 * 86_400),
      Setting.integer("identity.remoteKeys.minCacheSeconds", 60, 1, 86_400),
      Setting.integer("identity.remoteKeys.maxCacheSeconds", 86_400, 1, 7 * 86_400),
      Setting.integer("identity.remoteKeys.refreshIntervalSeconds", 30, 1, 86_400),
      Setting.integer("identity.remoteKeys.outageSeconds", 6 * 3600, 0, 30 * 86_400),
      Setting.integer("identity.remoteKeys.timeoutMs", 5000, 100, 60_000),
      Setting.integer("identity.remoteKeys.maxSets", 10_000, 1, 1_000_000),
      Setting.integer("keys.rolloverWindowSeconds", 300, 0, 86_400),
      Setting.integer("keys.refreshSeconds", 60, 1, 86_400),
      Setting.integer("licensing.defaultLicenseTtlSeconds", 86_400, 60, 365 * 86_400),
      Setting.integer("licensing.maxLicenseTtlSeconds", 30 * 86_400, 60, 3650 * 86_400),
      Setting.bool("licensing.delegatedSigning", true),
      Setting.integer("licensing.signingKeyLifetimeSeconds", 6 * 3600, 10, 7 * 86_400),
      Setting.integer("byok.kekTtlSeconds", 86_400, 60, 30 * 86_400),
      Setting.string("world.modulePassphrase", null),
      Setting.bool("world.allowUnsealed", false),
      Setting.string("world.id", null),
      Setting.string("node.id", null),
      Setting.bool("audit.keyUse", true),
      Setting.bool("audit.keyUseDurable", true),
      Setting.integer("audit.durableTimeoutMs", 5000, 100, 600_000),
      Setting.integer("audit.queueCapacity", 100_000, 1, 10_000_000),
      Setting.integer("audit.batchSize", 500, 1, 10_000),
      Setting.integer("audit.flushMillis", 50, 1, 60_000),
      Setting.string("audit.file.path", null),
      Setting.string("audit.syslog.address", null),
      Setting.choice("audit.syslog.facility", "auth", "auth", "authpriv", "local0", "local1", "local2", "local3", "local4",
          "local5", "local6", "local7"),
      Setting.bool("audit.syslog.tls", false),
      Setting.string("audit.syslog.caFile", null),
      Setting.string("audit.syslog.sdId", "licensor@32473"),
      Setting.integer("audit.syslog.queueCapacity", 100_000, 1, 10_000_000),
      Setting.bool("dev.enabled", false),
      Setting.bool("web.enabled", false),
      Setting.bool("cluster.enabled", false),
      Setting.string("cluster.configFile", null),
      Setting.string("cluster.name", null),
      Setting.string("cluster.host", null),
      Setting.integer("cluster.port", 0, 0, 65535),
      Setting.string("cluster.members", null),
      Setting.integer("cluster.eventBusPort", 0, 0, 65535),
      Setting.bool("cluster.plaintext", false),
      Setting.integer("cluster.noticeTimeoutMs", 2000, 50, 60_000),
      Setting.integer("cluster.leaseMillis", 10_000, 500, 600_000),
      Setting.integer("incidents.campaignRatePerSecond", 50, 1, 100_000),
      Setting.integer("incidents.campaignMaxAttempts", 5, 1, 1000),
      Setting.integer("incidents.campaignConcurrency", 4, 1, 256),
      Setting.integer("incidents.customerKeyRecheckSeconds", 60, 1, 86_400),
      Setting.bool("metrics.public", false),
      Setting.choice("mail.mode", "log", "log", "smtp"),
      Setting.string("mail.host", "localhost"),
      Setting.integer("mail.port", 25, 1, 65535),
      Setting.string("mail.from", "licensor@localhost"),
      Setting.choice("mail.starttls", "optional", "disabled", "optional", "required"),
      Setting.string("mail.username", null),
      Setting.string("mail.password", null),
      Setting.integer("mail.pollMillis", 500, 10, 600_000),
      Setting.integer("mail.maxBackoffSeconds", 300, 1, 86_400));

  private ConfigLoader() {
  }

  /** {@code http.maxBodyBytes} → {@code LICENSOR_HTTP_MAX_BODY_BYTES}. */
  public static String envNameOf(String path) {
    String snake = path.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_');
    return "LICENSOR_" + snake.toUpperCase(Locale.ROOT);
  }

  /**
   * Loads the configuration for a server start: the file named by {@code file} (or by
   * LICENSOR_CONFIG), if any, then the environment.
   */
  public static LicensorConfig fromFileAndEnv(Path file, Map<String, String> env) {
    checkVariableNames(env);
    Path path = file;
    if (path == null && env.get("LICENSOR_CONFIG") != null && !env.get("LICENSOR_CONFIG").isBlank()) {
      path = Path.of(env.get("LICENSOR_CONFIG"));
    }
    JsonObject json = new JsonObject();
    if (path != null) {
      String text;
      try {
        text = Files.readString(path, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ConfigException("cannot read configuration file " + path + ": " + e.getMessage());
      }
      try {
        json = new JsonObject(text);
      } catch (DecodeException e) {
        throw new ConfigException("configuration file " + path + " is not valid JSON");
      }
      if (json.getJsonObject("database") != null && json.getJsonObject("database").getValue("password") != null) {
        throw new ConfigException("database.password: a secret may not be written in the configuration file; "
            + "set LICENSOR_DATABASE_PASSWORD or database.passwordFile");
      }
      JsonObject hsmJson = json.getJsonObject("hsm");
      if (hsmJson != null && hsmJson.getJsonObject("pkcs11") != null && hsmJson.getJsonObject("pkcs11").getValue("pin") != null) {
        throw new ConfigException("hsm.pkcs11.pin: a secret may not be written in the configuration file; "
            + "set LICENSOR_HSM_PKCS11_PIN or hsm.pkcs11.pinFile");
      }
      if (hsmJson != null && hsmJson.getJsonObject("pkcs11") != null && hsmJson.getJsonObject("pkcs11").getValue("soPin") != null) {
        throw new ConfigException("hsm.pkcs11.soPin: a secret may not be written in the configuration file; "
            + "set LICENSOR_HSM_PKCS11_SO_PIN or hsm.pkcs11.soPinFile");
      }
      if (json.getJsonObject("mail") != null && json.getJsonObject("mail").getValue("password") != null) {
        throw new ConfigException("mail.password: a secret may not be written in the configuration file; "
            + "set LICENSOR_MAIL_PASSWORD");
      }
      if (json.getJsonObject("world") != null && json.getJsonObject("world").getValue("modulePassphrase") != null) {
        throw new ConfigException("world.modulePassphrase: a secret may not be written in the configuration file; "
            + "set LICENSOR_WORLD_MODULE_PASSPHRASE");
      }
    }
    return load(json, env);
  }

  /** LICENSOR_ variables that are not settings, and may be set where a node starts (the command line's, the tests'). */
  private static final Set<String> OTHER_VARIABLES = Set.of("LICENSOR_CONFIG", "LICENSOR_URL", "LICENSOR_TOKEN",
      "LICENSOR_TOKEN_FILE", "LICENSOR_CA_FILE", "LICENSOR_CLIENT_SECRET", "LICENSOR_CLASSPATH", "LICENSOR_JAVA_OPTS",
      "LICENSOR_LOG_LEVEL", "LICENSOR_BENCH_SESSIONS");
  private static final List<String> OTHER_PREFIXES = List.of("LICENSOR_TEST_", "LICENSOR_REQUIRE_", "LICENSOR_CARD_PASSPHRASE_");

  /**
   * A LICENSOR_ variable that is no setting is refused, naming the setting it most likely meant: a
   * misspelt one would otherwise be ignored and the default used in its place, as an unknown key of
   * the JSON file is refused. An empty one is an unset one.
   */
  static void checkVariableNames(Map<String, String> env) {
    for (Map.Entry<String, String> e : env.entrySet()) {
      String name = e.getKey();
      if (!name.startsWith("LICENSOR_") || e.getValue() == null || e.getValue().isEmpty() || OTHER_VARIABLES.contains(name)
          || OTHER_PREFIXES.stream().anyMatch(name::startsWith) || SETTINGS.stream().anyMatch(s -> s.envName().equals(name))) {
        continue;
      }
      String closest = SETTINGS.stream().map(Setting::envName).min(java.util.Comparator.comparingInt(n -> distance(n, name)))
          .orElse(null);
      throw new ConfigException(name + ": no such setting" + (closest != null && distance(closest, name) <= 4
          ? "; did you mean " + closest + "?" : "") + " (docs/configuration.md lists them; unset it to start)");
    }
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** A secret not set directly is read from the file its {@code fileSetting} names, if any (whole file, stripped). */
  private static void secretFromFile(Map<String, Object> values, String secret, String fileSetting) {
    String file = (String) values.get(fileSetting);
    if (values.get(secret) == null && file != null) {
      try {
        values.put(secret, Files.readString(Path.of(file), StandardCharsets.UTF_8).strip());
      } catch (IOException e) {
        throw new ConfigException(fileSetting + ": cannot read " + file);
      }
    }
  }

  /** Loads from a JSON object (nested like conf/licensor.json) and environment overrides. */
  public static LicensorConfig load(JsonObject json, Map<String, String> env) {
    Map<String, Object> flat = new LinkedHashMap<>();
    flatten("", json, flat);
    List<String> unknown = new ArrayList<>();
    for (String key : flat.keySet()) {
      if (SETTINGS.stream().noneMatch(s -> s.path().equals(key))) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new ConfigException("unknown setting(s): " + String.join(", ", unknown));
    }
    Map<String, Object> values = new LinkedHashMap<>();
    for (Setting s : SETTINGS) {
      Object raw = flat.containsKey(s.path()) ? flat.get(s.path()) : s.defaultValue();
      String envValue = env.get(s.envName());
      String source = s.path();
      // an empty variable is an unset one (VAR= in a script, or $UNSET expanded): the default or the file holds
      if (envValue != null && !envValue.isEmpty()) {
        raw = envValue;
        source = s.envName() + " (" + s.path() + ")";
      }
      values.put(s.path(), convert(s, raw, source));
    }
    secretFromFile(values, "database.password", "database.passwordFile");
    if ("pkcs11".equals(values.get("hsm.type"))) {
      if (values.get("hsm.pkcs11.library") == null) {
        throw new ConfigException("hsm.pkcs11.library: required with hsm.type pkcs11 (the PKCS#11 module, e.g. "
            + "/usr/lib/softhsm/libsofthsm2.so)");
      }
      secretFromFile(values, "hsm.pkcs11.pin", "hsm.pkcs11.pinFile");
      secretFromFile(values, "hsm.pkcs11.soPin", "hsm.pkcs11.soPinFile");
      if (values.get("hsm.pkcs11.pin") == null) {
        throw new ConfigException("hsm.pkcs11.pin: required with hsm.type pkcs11: set LICENSOR_HSM_PKCS11_PIN or hsm.pkcs11.pinFile");
      }
    }
    String url = (String) values.get("database.url");
    if (url != null && !url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
      throw new ConfigException("database.url: must be a postgresql:// URL, got a value of another scheme");
    }
    if ((Integer) values.get("licensing.defaultLicenseTtlSeconds") > (Integer) values.get("licensing.maxLicenseTtlSeconds")) {
      throw new ConfigException("licensing.defaultLicenseTtlSeconds: must not exceed licensing.maxLicenseTtlSeconds");
    }
    OperatorIssuers.validate((JsonArray) values.get("identity.operatorIssuers"));
    JsonArray networks = (JsonArray) values.get("identity.remoteKeys.allowedNetworks");
    for (int i = 0; i < networks.size(); i++) {
      if (!(networks.getValue(i) instanceof String cidr)) {
        throw new ConfigException("identity.remoteKeys.allowedNetworks[" + i + "]: must be a network in CIDR notation");
      }
      try {
        AllowedNetworks.of(List.of(cidr));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("identity.remoteKeys.allowedNetworks[" + i + "]: " + e.getMessage());
      }
    }
    if (values.get("identity.remoteKeys.trustFile") != null
        && !Files.isReadable(Path.of((String) values.get("identity.remoteKeys.trustFile")))) {
      throw new ConfigException("identity.remoteKeys.trustFile: cannot read " + values.get("identity.remoteKeys.trustFile"));
    }
    int minCache = (Integer) values.get("identity.remoteKeys.minCacheSeconds");
    if (minCache > (Integer) values.get("identity.remoteKeys.maxCacheSeconds")) {
      throw new ConfigException("identity.remoteKeys.minCacheSeconds: must not exceed identity.remoteKeys.maxCacheSeconds");
    }
    if ((Integer) values.get("identity.remoteKeys.refreshIntervalSeconds") >= minCache) {
      throw new ConfigException("identity.remoteKeys.refreshIntervalSeconds: must be less than "
          + "identity.remoteKeys.minCacheSeconds (a refresh of the keys is rate-limited below their cache time)");
    }
    for (String origin : corsOrigins((String) values.get("http.cors.allowedOrigins"))) {
      if (!origin.matches("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?")) {
        throw new ConfigException("http.cors.allowedOrigins: '" + origin + "' is not an origin (scheme://host[:port], "
            + "no path, no wildcard), e.g. https://app.contoso.com");
      }
    }
    String host = (String) values.get("http.host");
    if (Boolean.TRUE.equals(values.get("http.plaintext")) && !isLoopback(host)) {
      throw new ConfigException("http.plaintext: plain HTTP is allowed only on a loopback address, and http.host is "
          + host + "; serve HTTPS (http.tls.certFile and http.tls.keyFile) instead");
    }
    if (Boolean.TRUE.equals(values.get("dev.enabled")) && !isLoopback(host)) {
      throw new ConfigException("dev.enabled: development mode (a local issuer that mints any token, operators' "
          + "included) is allowed only on a loopback address, and http.host is " + host);
    }
    if ((values.get("http.tls.certFile") == null) != (values.get("http.tls.keyFile") == null)) {
      throw new ConfigException("http.tls.certFile: give both http.tls.certFile and http.tls.keyFile (PEM), or neither "
          + "(a self-signed certificate for localhost is made under dataDir/tls)");
    }
    for (String file : List.of("http.tls.certFile", "http.tls.keyFile")) {
      if (values.get(file) != null && !Files.isReadable(Path.of((String) values.get(file)))) {
        throw new ConfigException(file + ": cannot read " + values.get(file));
      }
    }
    String syslog = (String) values.get("audit.syslog.address");
    if (syslog != null) {
      String[] hostPort = syslogAddress(syslog);
      if (!Boolean.TRUE.equals(values.get("audit.syslog.tls")) && !isLoopback(hostPort[0])) {
        throw new ConfigException("audit.syslog.address: plain TCP syslog is allowed only to a loopback address, and it is "
            + hostPort[0] + "; set audit.syslog.tls (RFC 5425) for a collector elsewhere");
      }
    }
    if (values.get("audit.syslog.caFile") != null && !Files.isReadable(Path.of((String) values.get("audit.syslog.caFile")))) {
      throw new ConfigException("audit.syslog.caFile: cannot read " + values.get("audit.syslog.caFile"));
    }
    if (!((String) values.get("audit.syslog.sdId")).matches("[A-Za-z0-9._-]{1,24}@[0-9]+(\\.[0-9]+)*")) {
      throw new ConfigException("audit.syslog.sdId: NAME@ENTERPRISE-NUMBER (RFC 5424 SD-ID), e.g. licensor@32473");
    }
    String auditFile = (String) values.get("audit.file.path");
    if (auditFile != null && auditFile.isBlank()) {
      throw new ConfigException("audit.file.path: a file path, or leave it unset");
    }
    String clusterHost = (String) values.get("cluster.host");
    if (Boolean.TRUE.equals(values.get("cluster.plaintext")) && clusterHost != null && !isLoopback(clusterHost)) {
      throw new ConfigException("cluster.plaintext: a plain event bus is allowed only on a loopback address, and "
          + "cluster.host is " + clusterHost);
    }
    if (Boolean.TRUE.equals(values.get("cluster.enabled")) && values.get("database.url") == null) {
      throw new ConfigException("cluster.enabled: the nodes of a cluster share one PostgreSQL; set database.url "
          + "(the embedded database is for a single node)");
    }
    return new LicensorConfig(values);
  }

  /** host:port or [v6]:port of a syslog collector. */
  public static String[] syslogAddress(String address) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[([0-9A-Fa-f:.]+)\\]:([0-9]{1,5})|([A-Za-z0-9.-]+):([0-9]{1,5})")
        .matcher(address);
    if (!m.matches()) {
      throw new ConfigException("audit.syslog.address: HOST:PORT (or [IPv6]:PORT), e.g. 127.0.0.1:6514, not " + address);
    }
    String host = m.group(1) != null ? m.group(1) : m.group(3);
    String port = m.group(1) != null ? m.group(2) : m.group(4);
    if (Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
      throw new ConfigException("audit.syslog.address: the port must be from 1 to 65535");
    }
    return new String[] {host, port};
  }

  /** 127.0.0.0/8, ::1, or a name that resolves to one of them. */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void flatten(String prefix, JsonObject json, Map<String, Object> out) {
    for (Map.Entry<String, Object> e : json) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      if (e.getValue() instanceof JsonObject child) {
        flatten(key, child, out);
      } else {
        out.put(key, e.getValue());
      }
    }
  }

  private static Object convert(Setting s, Object raw, String source) {
    if (raw == null) {
      return null;
    }
    switch (s.kind()) {
      case STRING -> {
        if (!(raw instanceof String str)) {
          throw new ConfigException(source + ": must be a string");
        }
        if (!s.choices().isEmpty() && !s.choices().contains(str)) {
          throw new ConfigException(source + ": must be one of " + s.choices() + ", got '" + str + "'");
        }
        if (str.isBlank()) {
          throw new ConfigException(source + ": must not be empty");
        }
        return str;
      }
      case INT -> {
        int value;
        if (raw instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
          value = n.intValue();
        } else if (raw instanceof String str) {
          try {
            value = Integer.parseInt(str.trim());
          } catch (NumberFormatException e) {
            throw new ConfigException(source + ": must be an integer, got '" + str + "'");
          }
        } else {
          throw new ConfigException(source + ": must be an integer");
        }
        if (value < s.min() || value > s.max()) {
          throw new ConfigException(source + ": must be between " + s.min() + " and " + s.max() + ", got " + value);
        }
        return value;
      }
      case BOOL -> {
        if (raw instanceof Boolean b) {
          return b;
        }
        if (raw instanceof String str && (str.equalsIgnoreCase("true") || str.equalsIgnoreCase("false"))) {
          return Boolean.parseBoolean(str.toLowerCase(Locale.ROOT));
        }
        throw new ConfigException(source + ": must be true or false");
      }
      case JSON_ARRAY -> {
        if (raw instanceof JsonArray a) {
          return a;
        }
        if (raw instanceof String str) {
          try {
            return new JsonArray(str);
          } catch (DecodeException e) {
            throw new ConfigException(source + ": must be a JSON array");
          }
        }
        throw new ConfigException(source + ": must be a JSON array");
      }
      default -> throw new IllegalStateException();
    }
  }

  /** The origins of {@code http.cors.allowedOrigins} (comma-separated; empty: CORS off). */
  public static java.util.List<String> corsOrigins(String setting) {
    if (setting == null || setting.isBlank()) {
      return java.util.List.of();
    }
    return java.util.Arrays.stream(setting.split(",")).map(String::trim).filter(o -> !o.isEmpty()).toList();
  }
}
