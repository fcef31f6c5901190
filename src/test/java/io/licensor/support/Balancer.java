package io.licensor.support;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A round-robin load balancer in the client, standing in for the load balancer in front of a
 * cluster (HAProxy, a cloud LB) with passive health checks: a node whose connection fails is
 * taken out of rotation for two seconds. A request the node never received (connection refused)
 * goes to the next node; a request it accepted and then failed (reset, closed, timeout) is not
 * retried: it counts as failed, as it would for the client.
 */
public final class Balancer implements AutoCloseable {

  public record Outcome(long startNanos, long endNanos, String node, int status, String error) {
    public boolean ok() {
      return status == 200;
    }
  }

  private static final long OUT_OF_ROTATION_NANOS = Duration.ofSeconds(2).toNanos();

  private final List<String> bases;
  private final AtomicLongArray downUntil;
  private final AtomicInteger next = new AtomicInteger();
  private final ExecutorService executor = Executors.newFixedThreadPool(8);
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(1)).executor(executor).build();

  public Balancer(List<String> bases) {
    this.bases = List.copyOf(bases);
    this.downUntil = new AtomicLongArray(bases.size());
  }

  public CompletableFuture<Outcome> post(String path, String token, String body) {
    return attempt(path, token, body, System.nanoTime(), 0);
  }

  private CompletableFuture<Outcome> attempt(String path, String token, String body, long start, int tries) {
    int node = pick();
    HttpRequest request = HttpRequest.newBuilder(URI.create(bases.get(node) + path))
        .timeout(Duration.ofSeconds(5))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).handle((r, err) -> {
      if (err == null) {
        return CompletableFuture.completedFuture(new Outcome(start, System.nanoTime(), bases.get(node), r.statusCode(), null));
      }
      downUntil.set(node, System.nanoTime() + OUT_OF_ROTATION_NANOS);
      if (refused(err) && tries < bases.size()) {
        return attempt(path, token, body, start, tries + 1);
      }
      Throwable cause = err.getCause() != null ? err.getCause() : err;
      return CompletableFuture.completedFuture(new Outcome(start, System.nanoTime(), bases.get(node), 0,
          cause.getClass().getSimpleName() + ": " + cause.getMessage()));
    }).thenCompose(f -> f);
  }

  private int pick() {
    long now = System.nanoTime();
    for (int i = 0; i < bases.size(); i++) {
      int candidate = Math.floorMod(next.getAndIncrement(), bases.size());
      if (downUntil.get(candidate) <= now) {
        return candidate;
      }
    }
    return Math.floorMod(next.getAndIncrement(), bases.size());
  }

  private static boolean refused(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
