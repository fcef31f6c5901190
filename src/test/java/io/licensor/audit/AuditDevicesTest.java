package io.licensor.audit;

import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.Rsyslog;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 25, item 3: audit devices, as Vault has them. The node copies its audit stream, record by
 * record with its chain position and hash, to a file (JSON lines, 0600) and to a real syslog
 * collector (Debian's rsyslogd, RFC 5424 over TCP on loopback), and keeps copying across a log
 * rotation and a collector that was down; operators read the service-wide chain at GET /v1/audit.
 */
@DisplayName("Audit devices: a file and syslog carry every record with its chain hash; the service-wide audit")
class AuditDevicesTest {

  static Rsyslog collector;
  static TestNode node;
  static Path auditFile;
  @TempDir
  static Path dir;

  @BeforeAll
  static void start() throws IOException {
    Rsyslog.require();
    collector = Rsyslog.start();
    auditFile = dir.resolve("logs").resolve("audit.jsonl");
    node = TestNode.start(new JsonObject().put("audit", new JsonObject()
        .put("file", new JsonObject().put("path", auditFile.toString()))
        .put("syslog", new JsonObject().put("address", collector.address()).put("facility", "authpriv"))));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (collector != null) {
      collector.close();
    }
  }

  /** The tenant's records as the API gives them, keyed by seq. */
  static Map<Long, JsonObject> api(String tenant) {
    Http.Response r = node.http.get("/v1/tenants/" + tenant + "/audit?limit=1000", node.operatorToken());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().getBoolean("chainValid")).isTrue();
    Map<Long, JsonObject> bySeq = new LinkedHashMap<>();
    for (Object o : r.json().getJsonArray("events")) {
      JsonObject e = (JsonObject) o;
      bySeq.put(e.getLong("seq"), e);
    }
    return bySeq;
  }

  static List<JsonObject> fileRecords(Path file, String tenant) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      JsonObject r = new JsonObject(line);
      if (tenant.equals(r.getString("tenant"))) {
        out.add(r);
      }
    }
    return out;
  }

  static List<JsonObject> syslogRecords(String tenant) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject m : collector.received()) {
      String msg = m.getString("msg");
      JsonObject record = new JsonObject(msg.startsWith("\uFEFF") ? msg.substring(1) : msg);
      if (tenant.equals(record.getString("tenant"))) {
        out.add(m.copy().put("record", record));
      }
    }
    return out;
  }

  static <T> T eventually(Supplier<T> probe, java.util.function.Predicate<T> done, long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    T value = probe.get();
    while (!done.test(value) && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
      value = probe.get();
    }
    return value;
  }

  static Supplier<List<JsonObject>> unchecked(IoSupplier s) {
    return () -> {
      try {
        return s.get();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  interface IoSupplier {
    List<JsonObject> get() throws IOException;
  }

  /** Traffic that makes key-use and refusal records: a publish, licenses, one refused. */
  static int traffic(String tenant, Issuer idp) {
    String pl = Licensing.publishOk(node.http, tenant, idp, "doc-" + System.nanoTime());
    for (int i = 0; i < 2; i++) {
      assertThat(Licensing.license(node.http, tenant, idp, pl).status()).isEqualTo(200);
    }
    long deadline = System.currentTimeMillis() + 10_000;
    while (node.node.audit().backlog() > 0 && System.currentTimeMillis() < deadline) {
      sleep(20);
    }
    return api(tenant).size();
  }

  @Test
  @DisplayName("every record reaches the file and rsyslog, with the same seq, prev and hash as the database's chain")
  void fileAndSyslogCarryTheChain() throws Exception {
    Issuer idp = node.createTenant("devices", "RSA-2048");
    int records = traffic("devices", idp);
    Map<Long, JsonObject> db = api("devices");
    assertThat(records).isGreaterThanOrEqualTo(4);

    List<JsonObject> file = eventually(unchecked(() -> fileRecords(auditFile, "devices")), l -> l.size() >= records, 20_000);
    assertThat(file).hasSize(records);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(auditFile))).isEqualTo("rw-------");
    String prev = null;
    for (int i = 0; i < file.size(); i++) {
      JsonObject r = file.get(i);
      assertThat(r.getLong("seq")).isEqualTo(i + 1L);
      JsonObject stored = db.get(r.getLong("seq"));
      assertThat(r.getString("hash")).isEqualTo(stored.getString("hash"));
      assertThat(r.getString("action")).isEqualTo(stored.getString("action"));
      assertThat(r.getString("at")).isEqualTo(stored.getString("at"));
      if (prev != null) {
        assertThat(r.getString("prev")).as("record %d links to the one before", i + 1).isEqualTo(prev);
      }
      prev = r.getString("hash");
    }

    List<JsonObject> syslog = eventually(unchecked(() -> syslogRecords("devices")), l -> l.size() >= records, 20_000);
    assertThat(syslog).hasSize(records);
    for (JsonObject m : syslog) {
      JsonObject record = m.getJsonObject("record");
      JsonObject stored = db.get(record.getLong("seq"));
      assertThat(m.getString("app")).isEqualTo("licensor");
      assertThat(m.getString("facility")).isEqualTo("authpriv");
      assertThat(m.getString("severity")).isEqualTo("ok".equals(stored.getString("outcome")) ? "info" : "notice");
      assertThat(m.getString("msgid")).isEqualTo(stored.getString("action"));
      assertThat(m.getString("hostname")).isEqualTo(stored.getString("node"));
      assertThat(m.getString("procid")).isEqualTo(Long.toString(ProcessHandle.current().pid()));
      assertThat(m.getString("sd")).startsWith("[licensor@32473 ").contains("tenant=\"devices\"")
          .contains("seq=\"" + record.getLong("seq") + "\"").contains("hash=\"" + stored.getString("hash") + "\"");
      assertThat(record.getString("hash")).isEqualTo(stored.getString("hash"));
      assertThat(java.time.Instant.parse(m.getString("timestamp"))).isEqualTo(java.time.Instant.parse(stored.getString("at")));
    }
  }

  @Test
  @DisplayName("a rotated file is made again (0600) for what follows; a collector that was down gets what waited")
  void rotationAndCollectorOutage() throws Exception {
    Issuer idp = node.createTenant("outage", "RSA-2048");
    int before = traffic("outage", idp);
    eventually(unchecked(() -> syslogRecords("outage")), l -> l.size() >= before, 20_000);
    eventually(unchecked(() -> fileRecords(auditFile, "outage")), l -> l.size() >= before, 20_000);

    Path rotated = auditFile.resolveSibling("audit.jsonl.1");
    Files.move(auditFile, rotated);
    collector.halt();
    // the node sees the collector's connection close (FIN) before more records follow
    sleep(500);
    int after = traffic("outage", idp);
    assertThat(after).isGreaterThan(before);

    List<JsonObject> fresh = eventually(unchecked(() -> fileRecords(auditFile, "outage")), l -> l.size() >= after - before, 20_000);
    assertThat(fresh).extracting(r -> r.getLong("seq")).startsWith(before + 1L).hasSize(after - before);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(auditFile))).isEqualTo("rw-------");
    assertThat(fileRecords(rotated, "outage")).hasSize(before);

    collector.begin();
    List<JsonObject> all = eventually(unchecked(() -> syslogRecords("outage")), l -> l.size() >= after, 40_000);
    assertThat(all).extracting(m -> m.getJsonObject("record").getLong("seq")).containsExactlyElementsOf(
        java.util.stream.LongStream.rangeClosed(1, after).boxed().toList());
    assertThat(node.http.get("/metrics", node.operatorToken()).body())
        .contains("licensor_audit_device_dropped_total{device=\"syslog\"} 0.0")
        .contains("licensor_audit_device_dropped_total{device=\"file\"} 0.0");
  }

  @Test
  @DisplayName("operators read the service-wide chain (crypto policy, incidents) at GET /v1/audit; no tenant token, no other role")
  void serviceWideAudit() throws Exception {
    Issuer idp = node.createTenant("service-audit", "RSA-2048");
    Http.Response set = node.http.send("PUT", "/v1/crypto-policy", node.operatorToken(),
        new JsonObject().put("allowedAlgorithms", new JsonArray().add("RSA-2048").add("RSA-3072").add("EC-P256"))
            .put("minRsaBits", 2048).encode());
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    Http.Response page = eventually(() -> node.http.get("/v1/audit?limit=1000", node.operatorToken()),
        r -> r.body().contains("crypto-policy.set"), 10_000);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.json().getString("chain")).isEqualTo("service");
    assertThat(page.json().getBoolean("chainValid")).isTrue();
    assertThat(page.json().getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("action")))
        .contains("crypto-policy.set");
    String admin = idp.token("admin@service-audit.test", List.of("tenant-admin"));
    // a tenant's token is not accepted where only operators are (its issuer is no operator issuer), as for the crypto policy
    assertThat(node.http.get("/v1/audit", admin).status()).isEqualTo(401)
        .isEqualTo(node.http.get("/v1/crypto-policy", admin).status());
    assertThat(node.http.get("/v1/audit", node.operators.token("viewer@operators.test", List.of("auditor"))).status())
        .isEqualTo(403);
    assertThat(node.http.get("/v1/audit", null).status()).isEqualTo(401);
    assertThat(node.http.get("/v1/audit?limit=0", node.operatorToken()).slug()).isEqualTo("invalid-request");
    List<JsonObject> copied = eventually(unchecked(() -> fileRecords(auditFile, AuditEvent.SERVICE_CHAIN)),
        l -> l.stream().anyMatch(r -> "crypto-policy.set".equals(r.getString("action"))), 20_000);
    assertThat(copied).isNotEmpty();
  }

  @Test
  @DisplayName("an audit file others may read stops start-up, naming audit.file.path; so does plain syslog off loopback")
  void refusesUnsafeDevices(@TempDir Path tmp) throws IOException {
    Path open = Files.writeString(tmp.resolve("audit.jsonl"), "");
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
    String db = TestDatabase.freshDatabaseUrl();
    JsonObject settings = new JsonObject().put("dataDir", tmp.resolve("data").toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 1))
        .put("database", new JsonObject().put("url", db))
        .put("audit", new JsonObject().put("file", new JsonObject().put("path", open.toString())));
    assertThatThrownBy(() -> TestNode.start(settings, tmp.resolve("data"), db, Issuer.rsa("https://operators.test")).close())
        .hasStackTraceContaining("audit.file.path").hasStackTraceContaining("chmod 600");
    assertThatThrownBy(() -> io.licensor.config.ConfigLoader.load(new JsonObject().put("audit", new JsonObject()
        .put("syslog", new JsonObject().put("address", "192.0.2.10:514"))), Map.of()))
        .hasMessageContaining("audit.syslog.tls");
    assertThatThrownBy(() -> io.licensor.config.ConfigLoader.load(new JsonObject().put("audit", new JsonObject()
        .put("syslog", new JsonObject().put("address", "no-port"))), Map.of()))
        .hasMessageContaining("HOST:PORT");
  }
}
