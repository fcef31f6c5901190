package io.licensor.delegation;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The delegated keys jwks.json lists, per tenant, read from PostgreSQL at most once per
 * {@link #REFRESH} (one read at a time per tenant, shared), and again as soon as the directory
 * knows the tenant changed: a cancellation, a destroyed version or a campaign's re-key is out of
 * jwks.json on every node once the lifecycle call has returned. A key is used only {@code 2 × REFRESH}
 * after it was registered, so by then every node lists it. If the database cannot be read, the
 * last list read is served.
 */
final class PublishedSigningKeys {

  static final Duration REFRESH = Duration.ofSeconds(1);
  /** Lists read this long ago are dropped. */
  private static final long IDLE_NANOS = Duration.ofMinutes(1).toNanos();

  private record Listed(List<JsonObject> keys, long readAtNanos, long tenantRevision) {
  }

  private final SigningKeyStore store;
  private final Map<String, Listed> listed = new ConcurrentHashMap<>();
  private final Map<String, Future<List<JsonObject>>> reading = new ConcurrentHashMap<>();

  PublishedSigningKeys(SigningKeyStore store) {
    this.store = store;
  }

  /** {@code tenantRevision}: the tenant's, as the directory knows it; a list read at another revision is read again. */
  Future<List<JsonObject>> of(String tenantId, long tenantRevision) {
    long now = System.nanoTime();
    Listed l = listed.get(tenantId);
    if (l != null && l.tenantRevision() == tenantRevision && now - l.readAtNanos() < REFRESH.toNanos()) {
      return Future.succeededFuture(l.keys());
    }
    Promise<List<JsonObject>> read = Promise.promise();
    Future<List<JsonObject>> inFlight = reading.putIfAbsent(tenantId, read.future());
    if (inFlight != null) {
      return inFlight;
    }
    store.published(tenantId).onComplete(ar -> {
      List<JsonObject> keys;
      if (ar.succeeded()) {
        keys = List.copyOf(ar.result());
        listed.put(tenantId, new Listed(keys, now, tenantRevision));
      } else {
        Listed last = listed.get(tenantId);
        keys = last == null ? List.of() : last.keys();
      }
      reading.remove(tenantId, read.future());
      read.complete(keys);
    });
    return read.future();
  }

  /** This node registered or retired a key of the tenant: the next request reads the table. */
  void invalidate(String tenantId) {
    listed.remove(tenantId);
  }

  void sweep() {
    long now = System.nanoTime();
    listed.entrySet().removeIf(e -> now - e.getValue().readAtNanos() > IDLE_NANOS);
  }
}
