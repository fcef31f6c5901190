package io.licensor.security;

import io.licensor.support.ClusterFixture;
import io.licensor.support.Issuer;
import io.licensor.support.NodeProcess;
import io.licensor.support.TestNode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review's item 7: request bodies were read before the caller was authenticated, so anonymous
 * 8 MiB uploads to {@code POST /v1/tenants/restore} grew the node by 177 MB per 16. A node with a
 * 256 MiB heap (its own JVM) now refuses 64 such uploads at once without reading them, and goes on.
 */
@DisplayName("Anonymous uploads are refused before their bodies are read: a 256 MiB node survives 64 of 8 MiB at once")
class AnonymousUploadTest {

  @Test
  @DisplayName("64 concurrent anonymous (or forged-token) 8 MiB restore uploads get 401; the node stays up and serves")
  void uploadsDoNotFillTheHeap() throws Exception {
    ClusterFixture fixture = new ClusterFixture();
    int port = ClusterFixture.freePorts(1)[0];
    JsonObject settings = new JsonObject().put("dataDir", fixture.dataDir("uploads").toString())
        .put("http", new JsonObject().put("port", port).put("instances", 1))
        .put("database", new JsonObject().put("url", fixture.databaseUrl).put("poolSize", 4));
    NodeProcess node = new NodeProcess("uploads", settings, fixture.operators).start().awaitReady(Duration.ofSeconds(120));
    try {
      byte[] body = new byte[8 * 1024 * 1024];
      Arrays.fill(body, (byte) ' ');
      body[0] = '{';
      body[body.length - 1] = '}';
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
      Issuer forger = Issuer.rsa("https://operators.test");
      List<CompletableFuture<Integer>> uploads = new ArrayList<>();
      long started = System.nanoTime();
      for (int i = 0; i < 64; i++) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/tenants/restore?replace=true"))
            .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (i % 2 == 1) {
          b.header("Authorization", "Bearer " + forger.token("ops@licensor.test", List.of("operator")));
        }
        uploads.add(client.sendAsync(b.build(), HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode)
            .exceptionally(e -> -1)); // the node may close the connection before the client has sent it all
      }
      Map<Integer, Integer> statuses = new TreeMap<>();
      for (CompletableFuture<Integer> f : uploads) {
        statuses.merge(f.get(120, TimeUnit.SECONDS), 1, Integer::sum);
      }
      System.out.printf("64 anonymous 8 MiB uploads: %s (-1: connection closed while sending) in %d ms%n", statuses,
          (System.nanoTime() - started) / 1_000_000);
      assertThat(statuses.keySet()).as(statuses.toString()).isSubsetOf(401, -1);
      assertThat(node.alive()).as("the node survived; see " + node.log()).isTrue();
      assertThat(node.http.get("/health/live", null).status()).isEqualTo(200);
      assertThat(node.http.post("/v1/tenants", fixture.operators.token("ops@licensor.test", List.of("operator")),
          TestNode.tenantRequest("after-uploads", "EC-P256", Issuer.ec("https://idp.test/after-uploads"))).status()).isEqualTo(201);
      assertThat(Files.readString(node.log())).doesNotContain("OutOfMemoryError");
    } finally {
      node.stop();
    }
  }
}
