package io.licensor.incidents;

import io.licensor.support.Http;
import io.licensor.support.TestDatabase;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Changes of the crypto policy are serialised and each is audited with the policy it replaced:
 * operators changing it at the same moment leave an audit trail that reads as one sequence, from
 * the first policy to the one in force.
 */
@DisplayName("Concurrent crypto-policy changes each record the policy they replaced")
class CryptoPolicyChangeTest {

  private static final List<List<String>> SETS = List.of(
      List.of("EC-P256"), List.of("EC-P384"), List.of("RSA-2048"), List.of("RSA-3072"), List.of("RSA-4096"),
      List.of("EC-P256", "EC-P384"), List.of("EC-P256", "RSA-2048"), List.of("EC-P256", "RSA-3072"),
      List.of("EC-P384", "RSA-4096"), List.of("RSA-2048", "RSA-3072"), List.of("RSA-3072", "RSA-4096"),
      List.of("EC-P256", "EC-P384", "RSA-4096"));

  private static String key(JsonObject policy) {
    return policy.getJsonArray("allowedAlgorithms").encode() + "/" + policy.getInteger("minRsaBits");
  }

  @Test
  @DisplayName("twelve operators set twelve policies at once: the audit records chain from the first policy to the last")
  void concurrentChangesChain() throws Exception {
    try (TestNode node = TestNode.start()) {
      String op = node.operatorToken();
      JsonObject initial = node.http.get("/v1/crypto-policy", op).json();
      ExecutorService pool = Executors.newFixedThreadPool(SETS.size());
      List<CompletableFuture<Http.Response>> puts = new ArrayList<>();
      CompletableFuture<Void> go = new CompletableFuture<>();
      try {
        for (List<String> set : SETS) {
          JsonObject body = new JsonObject().put("allowedAlgorithms", new JsonArray(set)).put("minRsaBits", 2048);
          puts.add(go.thenApplyAsync(x -> node.http.send("PUT", "/v1/crypto-policy", op, body.encode()), pool));
        }
        go.complete(null);
        for (CompletableFuture<Http.Response> put : puts) {
          assertThat(put.get().status()).isEqualTo(200);
        }
      } finally {
        pool.shutdownNow();
      }
      JsonObject last = node.http.get("/v1/crypto-policy", op).json();
      long deadline = System.nanoTime() + 30_000_000_000L; // audit records are written in batches, shortly after
      while (TestDatabase.count(node.databaseUrl, "SELECT count(*) FROM audit_events WHERE action = 'crypto-policy.set'")
          < SETS.size() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      String details = TestDatabase.text(node.databaseUrl, "SELECT coalesce(json_agg(detail ORDER BY seq)::text, '[]')"
          + " FROM audit_events WHERE action = 'crypto-policy.set'");
      JsonArray records = new JsonArray(details);
      assertThat(records).hasSize(SETS.size());
      Map<String, String> next = new HashMap<>();
      for (Object r : records) {
        JsonObject detail = new JsonObject(r instanceof String s ? s : ((JsonObject) r).encode());
        String from = key(detail.getJsonObject("from"));
        assertThat(next.put(from, key(detail.getJsonObject("to"))))
            .as("two changes recorded that they replaced the same policy %s", from).isNull();
      }
      // follow the chain: every change, once each, from the first policy to the one in force
      Set<String> seen = new HashSet<>();
      String at = key(initial);
      while (next.containsKey(at) && seen.add(at)) {
        at = next.get(at);
      }
      assertThat(seen).hasSize(SETS.size());
      assertThat(at).isEqualTo(key(last));
    }
  }
}
