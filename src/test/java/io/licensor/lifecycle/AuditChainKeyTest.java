package io.licensor.lifecycle;

import io.licensor.audit.AuditChain;
import io.licensor.audit.AuditEvent;
import io.licensor.support.Http;
import io.licensor.support.Issuer;
import io.licensor.support.Licensing;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review's item 6, as an attacker with write access to the database runs it: rewrite a record
 * of the audit trail, recompute the chain after it with SHA-256 as 73c5f13 made it, move the head;
 * then chainValid stayed true. The chain is now keyed from the world, so it does not; nor does
 * downgrading the tenant's chain to the unkeyed form. Reads verify from a checkpoint, and a plain
 * user's refused exports are counted, not each made a record.
 */
@DisplayName("The audit chain is keyed: write access to the database does not rewrite history")
class AuditChainKeyTest {

  /** As an attacker would: recompute the plain SHA-256 chain of a tenant from {@code fromSeq}, and its head. */
  static void rechainUnkeyed(String databaseUrl, String tenant, long fromSeq) throws Exception {
    URI uri = URI.create(databaseUrl);
    String[] user = uri.getUserInfo().split(":", 2);
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + uri.getHost() + ":" + uri.getPort() + uri.getPath(),
        user[0], user.length > 1 ? user[1] : "")) {
      List<Object[]> rows = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT seq, at, kid, principal, action, outcome, node, request_id, detail, prev_hash"
          + " FROM audit_events WHERE tenant_id = ? ORDER BY seq")) {
        s.setString(1, tenant);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            rows.add(new Object[] {r.getLong(1), r.getObject(2, OffsetDateTime.class).toInstant(), r.getString(3),
                r.getString(4), r.getString(5), r.getString(6), r.getString(7), r.getString(8), r.getString(9), r.getString(10)});
          }
        }
      }
      String prev = null;
      for (Object[] row : rows) {
        long seq = (Long) row[0];
        if (seq < fromSeq) {
          continue;
        }
        if (prev == null) {
          prev = (String) row[9];
        }
        AuditEvent e = new AuditEvent(tenant, (Instant) row[1], (String) row[2], (String) row[3], (String) row[4],
            (String) row[5], (String) row[6], (String) row[7], (String) row[8]);
        String hash = AuditChain.hash(e, seq, prev);
        try (PreparedStatement u = c.prepareStatement("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE tenant_id = ? AND seq = ?")) {
          u.setString(1, prev);
          u.setString(2, hash);
          u.setString(3, tenant);
          u.setLong(4, seq);
          u.executeUpdate();
        }
        try (PreparedStatement u = c.prepareStatement("UPDATE audit_heads SET hash = ? WHERE tenant_id = ?")) {
          u.setString(1, hash);
          u.setString(2, tenant);
          u.executeUpdate();
        }
        prev = hash;
      }
    }
  }

  static JsonObject audit(TestNode node, String tenant) {
    Http.Response r = node.http.get("/v1/tenants/" + tenant + "/audit?limit=1000", node.operatorToken());
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json();
  }

  @Test
  @DisplayName("a record rewritten and the chain recomputed unkeyed (SHA-256) is caught; so is a downgrade of the chain's mark")
  void rewrittenHistoryIsCaught() throws Exception {
    try (TestNode node = TestNode.start()) {
      for (String tenant : List.of("ledger-a", "ledger-b", "ledger-c")) {
        Issuer idp = node.createTenant(tenant, "EC-P256");
        assertThat(Licensing.rekey(node.http, node.operatorToken(), tenant).status()).isEqualTo(201);
        String pl = Licensing.publishOk(node.http, tenant, idp, "doc");
        assertThat(Licensing.license(node.http, tenant, idp, pl).status()).isEqualTo(200);
        assertThat(Licensing.rekey(node.http, node.operatorToken(), tenant).status()).isEqualTo(201);
        assertThat(audit(node, tenant).getBoolean("chainValid")).isTrue();
      }
      // a: rewrite who re-keyed, recompute the plain chain from there
      TestDatabase.execute(node.databaseUrl, "UPDATE audit_events SET principal = 'nobody' WHERE tenant_id = 'ledger-a' AND seq = 2");
      rechainUnkeyed(node.databaseUrl, "ledger-a", 2);
      assertThat(audit(node, "ledger-a").getBoolean("chainValid")).as("rewritten and re-chained").isFalse();
      // b: downgrade the chain (no keyed mark: everything "from before the key") and re-chain from the start
      TestDatabase.execute(node.databaseUrl, "UPDATE audit_heads SET keyed_from = NULL, keyed_mac = NULL WHERE tenant_id = 'ledger-b'");
      TestDatabase.execute(node.databaseUrl, "UPDATE audit_events SET principal = 'nobody' WHERE tenant_id = 'ledger-b' AND seq = 2");
      rechainUnkeyed(node.databaseUrl, "ledger-b", 1);
      assertThat(audit(node, "ledger-b").getBoolean("chainValid")).as("downgraded to unkeyed").isFalse();
      // c: move the mark past the records, so they would verify as unkeyed
      TestDatabase.execute(node.databaseUrl, "UPDATE audit_heads SET keyed_from = 1000 WHERE tenant_id = 'ledger-c'");
      rechainUnkeyed(node.databaseUrl, "ledger-c", 1);
      assertThat(audit(node, "ledger-c").getBoolean("chainValid")).as("mark moved").isFalse();
    }
  }

  @Test
  @DisplayName("licenses of many tenants at once share audit batches and every chain stays whole; a tenant's audit removed under the node starts again")
  void manyTenantsInOneBatch() throws Exception {
    try (TestNode node = TestNode.start()) {
      List<String> tenants = List.of("batch-a", "batch-b", "batch-c", "batch-d", "batch-e", "batch-f");
      List<Issuer> idps = new ArrayList<>();
      List<String> pls = new ArrayList<>();
      for (String tenant : tenants) {
        Issuer idp = node.createTenant(tenant, "EC-P256");
        idps.add(idp);
        pls.add(Licensing.publishOk(node.http, tenant, idp, "doc"));
      }
      List<CompletableFuture<Integer>> licenses = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        int t = i % tenants.size();
        licenses.add(CompletableFuture.supplyAsync(() -> Licensing.license(node.http, tenants.get(t), idps.get(t), pls.get(t)).status()));
      }
      for (CompletableFuture<Integer> l : licenses) {
        assertThat(l.get()).isEqualTo(200);
      }
      for (String tenant : tenants) {
        JsonObject audit = audit(node, tenant);
        assertThat(audit.getBoolean("chainValid")).as(tenant).isTrue();
        List<Long> seqs = audit.getJsonArray("events").stream().map(e -> ((JsonObject) e).getLong("seq")).sorted().toList();
        assertThat(seqs).as(tenant + ": one record per step, numbered without gaps").hasSizeGreaterThanOrEqualTo(11)
            .isEqualTo(java.util.stream.LongStream.rangeClosed(1, seqs.size()).boxed().toList());
        assertThat(audit.getJsonArray("events").stream().filter(e -> "license.issued".equals(((JsonObject) e).getString("action"))))
            .as(tenant).hasSize(10);
      }
      // the whole audit of one tenant removed while the node runs (its head included): the next license is
      // answered and recorded in a chain that starts again, and the others go on
      TestDatabase.execute(node.databaseUrl, "DELETE FROM audit_events WHERE tenant_id = 'batch-a'");
      TestDatabase.execute(node.databaseUrl, "DELETE FROM audit_heads WHERE tenant_id = 'batch-a'");
      assertThat(Licensing.license(node.http, "batch-a", idps.get(0), pls.get(0)).status()).isEqualTo(200);
      assertThat(Licensing.license(node.http, "batch-b", idps.get(1), pls.get(1)).status()).isEqualTo(200);
      JsonObject again = audit(node, "batch-a");
      assertThat(again.getBoolean("chainValid")).isTrue();
      assertThat(again.getJsonArray("events").stream().map(e -> ((JsonObject) e).getLong("seq")).toList()).containsExactly(1L);
      assertThat(audit(node, "batch-b").getBoolean("chainValid")).isTrue();
    }
  }

  @Test
  @DisplayName("a record rewritten before the verified checkpoint is caught when a page shows it")
  void behindTheCheckpoint() throws Exception {
    try (TestNode node = TestNode.start()) {
      Issuer idp = node.createTenant("ledger-d", "EC-P256");
      String pl = Licensing.publishOk(node.http, "ledger-d", idp, "doc");
      for (int i = 0; i < 5; i++) {
        assertThat(Licensing.license(node.http, "ledger-d", idp, pl).status()).isEqualTo(200);
      }
      assertThat(Licensing.rekey(node.http, node.operatorToken(), "ledger-d").status()).isEqualTo(201);
      assertThat(audit(node, "ledger-d").getBoolean("chainValid")).isTrue(); // the checkpoint is now the head
      assertThat(TestDatabase.count(node.databaseUrl, "SELECT verified_seq FROM audit_heads WHERE tenant_id = 'ledger-d'"))
          .isPositive();
      TestDatabase.execute(node.databaseUrl, "UPDATE audit_events SET principal = 'nobody' WHERE tenant_id = 'ledger-d' AND seq = 2");
      assertThat(audit(node, "ledger-d").getBoolean("chainValid")).isFalse();
    }
  }

  @Test
  @DisplayName("a plain user's refused exports are counted into one record a minute, not one record each")
  void refusalsAreCounted(@TempDir Path dataDir) throws Exception {
    String db = TestDatabase.freshDatabaseUrl();
    Issuer operators = Issuer.rsa("https://operators.test");
    JsonObject settings = new JsonObject().put("dataDir", dataDir.toString())
        .put("http", new JsonObject().put("port", 0).put("instances", 1)).put("database", new JsonObject().put("url", db));
    Issuer idp;
    try (TestNode node = TestNode.start(settings, dataDir, db, operators)) {
      idp = node.createTenant("ledger-e", "EC-P256");
      String user = idp.token("mallory@ledger-e.test", List.of());
      List<CompletableFuture<Integer>> tries = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        tries.add(CompletableFuture.supplyAsync(() -> node.http.post("/v1/tenants/ledger-e/keys/1/export", user,
            new JsonObject().put("password", "Correct-horse-battery-9")).status()));
      }
      for (CompletableFuture<Integer> t : tries) {
        assertThat(t.get()).isEqualTo(403);
      }
      long records = audit(node, "ledger-e").getJsonArray("events").stream()
          .filter(e -> ((JsonObject) e).getString("outcome").startsWith("refused")).count();
      assertThat(records).as("no record per refusal").isZero();
    }
    // stopping writes the summary; a node on the same database shows it
    try (TestNode again = TestNode.start(settings, dataDir, db, operators)) {
      List<JsonObject> summaries = audit(again, "ledger-e").getJsonArray("events").stream().map(e -> (JsonObject) e)
          .filter(e -> e.getString("outcome").startsWith("refused")).toList();
      assertThat(summaries).hasSize(1);
      assertThat(summaries.get(0).getJsonObject("detail").getLong("count")).isEqualTo(100);
      assertThat(summaries.get(0).getString("outcome")).isEqualTo("refused:forbidden");
    }
  }
}
